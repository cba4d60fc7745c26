"""Requests/s and p95 latency of CarePath with 1 and with 2 web processes, as on several machines.

Starts the platform as tests/scale does (PostgreSQL for the app and Prefect, the database file store,
`carepath web` / `carepath worker` hosts with instance folders of their own), seeds patients with tasks,
times and pending conclusions, and drives it with locust (tests/scale/people.py) for a fixed time: the
same people, the same mix (log in, browse, book, complete tasks, upload, read conclusions), once with one
web process and once with two. Prints the figures; asserts nothing.

    .venv/bin/python bench/scale.py [--users 60] [--seconds 40] [--web-workers 1]

On one machine the load generator, the workers and PostgreSQL share the cores with the web processes, so
the gain of a second web process is bounded by what is left of the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.scale.cluster import Cluster  # noqa: E402
from tests.scale.seed import PASSWORD, seed  # noqa: E402
from tests.scale.test_several_hosts import conclusions_signed, run_people  # noqa: E402

# Throughput, not realism: people act again 0.5–2 s after an answer (the test's people think 5–15 s).
THINK_SECONDS = (0.5, 2.0)


def measure(webs: int, args: argparse.Namespace) -> dict:
    from engine.config import load_settings

    with tempfile.TemporaryDirectory(prefix="carepath-scale-") as folder:
        cluster = Cluster(Path(folder), web_count=webs, worker_count=1, web_workers=args.web_workers)
        try:
            cluster.start()
            env = cluster.environment("setup")
            settings = load_settings({k: v for k, v in env.items() if k.startswith("CAREPATH_")})
            facts = seed(cluster.sessions(), settings, args.users, datetime.now(UTC) + timedelta(seconds=15),
                         args.seconds)
            conclusions_signed(cluster, timeout=180)
            return run_people({"hosts": [cluster.url(w) for w in cluster.webs], "users": args.users,
                               "seconds": args.seconds, "spawn_rate": max(1, args.users // 5),
                               "patients": facts["patients"], "password": PASSWORD, "slots": facts["slots"],
                               "newcomers": 0.0, "think_seconds": THINK_SECONDS}, Path(folder),
                              timeout=args.seconds + 180)
        finally:
            cluster.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--web-workers", type=int, default=1, help="gunicorn workers in each web process")
    args = parser.parse_args()
    rows = []
    for webs in (1, 2):
        result = measure(webs, args)
        rows.append((webs, result))
        print(f"{webs} web process(es): {result['requests']} requests in {args.seconds} s = {result['rps']:.1f}/s, "
              f"p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
              f"{len(result['server_errors'])} server errors, {result['failures']} failures", flush=True)
    one, two = rows[0][1], rows[1][1]
    print(f"2 vs 1 web process: requests/s x{two['rps'] / max(one['rps'], 1e-9):.2f}, "
          f"p95 {one['p95_ms']:.0f} -> {two['p95_ms']:.0f} ms ({args.users} people, {args.seconds} s each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
