"""The process that runs CarePath's background work: `python -m workflows.serve`.

One long-lived process, three parts:
- the Prefect task worker (`prefect.task_worker`) serving the background tasks of
  workflows/background.py: deliver messages, run an import, sign documents. It holds a websocket to the
  Prefect server and runs each task run in a thread as soon as the web app enqueues it;
- the timer worker thread (workflows/timer_worker.py): BPMN timers within a second of their due time,
  reminders on the minute;
- a runner of the scheduled deployments of workflows/deployments.py (sweep, monitoring dispatch, the
  doctors' digest, retention), every few minutes, each run in a thread of this process with Prefect's flow
  engine (workflows/scheduled.py) rather than a new Python process per run.

It needs a Prefect API server. `carepath run` starts `prefect server start` and this process with the
environment from `workflows.prefect_env.prefect_environment(settings)`; by hand:

    eval "$(python -m workflows.serve --print-env)"   # PREFECT_HOME, PREFECT_API_URL, ... for this instance
    prefect server start &
    python -m workflows.serve

A Prefect server that is slow, busy or restarting does not end this process: the task worker's websocket
and the runner try again with a growing delay, and the work whose wakes were lost meanwhile is picked up
at each reconnection (workflows/reconnect.py). `carepath run` starts this process again if it dies.

More of these processes, on other machines pointed at the same database and Prefect server, share the
work: task runs go to one task worker each, timers are claimed, scheduled runs are taken by one runner.
The CarePath settings (CAREPATH_DATABASE_URL, CAREPATH_SMTP_URL, ...) are read from the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shlex
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from engine.config import Settings, load_settings
from workflows.prefect_env import prefect_environment

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

log = logging.getLogger(__name__)

# Task runs at once in this process (threads); a mass mailing is one run, so a few are plenty.
TASK_LIMIT = 4


async def serve_all(scheduled: list[tuple[RunnerDeployment, Flow[Any, Any]]], *, timers: bool = True) -> None:
    """The task worker and the runner, each started again whenever it stops (workflows/reconnect.py)."""
    from workflows.reconnect import ReconnectingTaskWorker, keep_serving

    settings = load_settings()
    # SIGTERM (`carepath run` stopping, a service manager) ends this coroutine, hence asyncio.run: every part
    # is cancelled at once; the task worker, once started, routes Prefect's own handler here too.
    loop, main_task = asyncio.get_running_loop(), asyncio.current_task()
    assert main_task is not None  # noqa: S101 - run by asyncio.run

    def stop() -> None:
        loop.call_soon_threadsafe(main_task.cancel)

    loop.add_signal_handler(signal.SIGTERM, stop)
    if timers:
        from workflows.timer_worker import TimerWorker

        TimerWorker(settings).start()
    pick_up = PickUp(settings)

    async def task_worker() -> None:
        from workflows.background import BACKGROUND_TASKS

        await ReconnectingTaskWorker(*BACKGROUND_TASKS, limit=TASK_LIMIT, on_connect=pick_up,
                                     on_sigterm=stop).astart()

    async def runner() -> None:
        from workflows.scheduled import InProcessRunner

        await InProcessRunner(scheduled).start()

    jobs = [keep_serving("task worker", task_worker)]
    if scheduled:
        jobs.append(keep_serving("scheduled flows' runner", runner))
    await asyncio.gather(*jobs)


class PickUp:
    """At each (re)connection to the Prefect server: the work whose wake may have been lost meanwhile
    (workflows.sweep.pick_up), in a thread of its own, one run at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._running = threading.Lock()

    def __call__(self, reconnected: bool) -> None:
        threading.Thread(target=self._run, args=(reconnected,), name="carepath pick-up", daemon=True).start()

    def _run(self, reconnected: bool) -> None:
        from workflows.sweep import pick_up

        if not self._running.acquire(blocking=False):
            return  # one is running: it finds the same rows
        try:
            result = pick_up(self.settings)
            if any(result["outbox"].values()) or result["documents"] or result["imports"]:
                log.info("picked up at the %s: %s", "reconnection" if reconnected else "start", result)
        except Exception:  # the sweep flow tries again within minutes
            log.exception("picking up the waiting work failed")
        finally:
            self._running.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflows.serve", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--print-env", action="store_true", help="print the Prefect environment as shell exports"
    )
    parser.add_argument("--no-scheduled", action="store_true", help="serve background tasks and timers only")
    parser.add_argument("--no-timers", action="store_true", help="do not run the timer worker here")
    args = parser.parse_args(argv)
    environment = prefect_environment(load_settings())
    if args.print_env:
        for name, value in environment.items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    # Values already in the environment win, so the CLI or an operator can point at another server.
    for name, value in environment.items():
        os.environ.setdefault(name, value)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        from workflows.deployments import served

        # Built here, outside the event loop: Prefect's sync-or-async calls would return coroutines inside it.
        scheduled = [] if args.no_scheduled else served()
        asyncio.run(serve_all(scheduled, timers=not args.no_timers))
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C, or SIGTERM (serve_all)
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
