"""The process that runs CarePath's periodic and triggered work: `python -m workflows.serve`.

It registers the deployments of workflows/deployments.py with the Prefect API and runs their flow
runs: outbox delivery every 10 seconds (and whenever the web app triggers it), the BPMN timer tick
every 30 seconds once the engine provides `fire_due_timers` (workflows/timers.py), referral imports
(triggered per upload, swept every minute), reminders every minute and the doctors' digest.

It needs a Prefect API server. `carepath run` starts `prefect server start` and this process with the
environment from `workflows.prefect_env.prefect_environment(settings)`; by hand:

    eval "$(python -m workflows.serve --print-env)"   # PREFECT_HOME, PREFECT_API_URL, ... for this instance
    prefect server start &
    python -m workflows.serve

The CarePath settings (CAREPATH_DATABASE_URL, CAREPATH_SMTP_URL, ...) are read from the environment by
each flow run, as in the web app.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from engine.config import load_settings
from workflows.prefect_env import prefect_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflows.serve", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--print-env", action="store_true", help="print the Prefect environment as shell exports"
    )
    args = parser.parse_args(argv)
    environment = prefect_environment(load_settings())
    if args.print_env:
        for name, value in environment.items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    # Values already in the environment win, so the CLI or an operator can point at another server.
    for name, value in environment.items():
        os.environ.setdefault(name, value)
    # Imported only now: Prefect reads its settings from the environment when first imported.
    from prefect import serve

    from workflows.deployments import deployments

    serve(*deployments(), print_starting_message=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
