"""A registration request in-process: the web app on a temporary SQLite instance, one person after another.

    .venv/bin/python bench/registration.py [--people 50]

Prints p50/p95 of the POST /account/register's wall time and of its CPU time (this thread's), which
includes the password hash and the queued confirmation mail (no Prefect API: the wake is not sent).
bench/latency.py measures the same request against the running platform, with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The project, not bench/ (whose engine.py would shadow the `engine` package).
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    args = parser.parse_args(argv)
    from engine.config import load_settings
    from engine.schema import upgrade
    from webui import create_app

    folder = tempfile.mkdtemp(prefix="carepath-registration-")
    settings = load_settings({"CAREPATH_INSTANCE_PATH": folder, "CAREPATH_DEFAULT_LOCALE": "en"})
    upgrade(settings.database_url)
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}, settings=settings)
    client = app.test_client()
    form = {"last_name": "Bench", "first_name": "Person", "birth_date": "1980-05-06", "phone": "+79990001122",
            "password": "Latency-bench-2026!", "password_again": "Latency-bench-2026!", "consent": "y"}
    client.post("/account/register", data={**form, "email": "warm-up@bench.example.org"})
    walls, cpus = [], []
    for i in range(args.people):
        wall, cpu = time.perf_counter(), time.thread_time()
        response = client.post("/account/register", data={**form, "email": f"person{i}@bench.example.org"})
        cpus.append(1000 * (time.thread_time() - cpu))
        walls.append(1000 * (time.perf_counter() - wall))
        if response.status_code != 302:
            raise SystemExit(f"registration answered {response.status_code}")
    load = os.getloadavg()
    print(f"registration in-process (n={args.people}): wall p50 {pct(walls, 0.5):.0f} / p95 {pct(walls, 0.95):.0f} ms, "
          f"CPU p50 {pct(cpus, 0.5):.0f} / p95 {pct(cpus, 0.95):.0f} ms (target p95 < 300 ms); "
          f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
