"""gunicorn's server hooks for `carepath run` (loaded with `--config python:webui.gunicorn_hooks`)."""

from __future__ import annotations

import threading
import time
from typing import Any

# A worker that ends (recycled after --max-requests, or stopping) first hands over the wakes still waiting
# in its enqueue thread (workflows/enqueue.py): the daemon thread would die with them, and their work
# would wait for the sweep. Bounded, so an unreachable Prefect API delays the exit by seconds only.
EXIT_DRAIN_SECONDS = 5.0

# A booting worker (importing the app: seconds, over a minute on a busy machine) must not be taken for a
# stuck one. gunicorn 23.0 happens not to count --timeout before a worker's first heartbeat (its heartbeat
# file starts with a wall-clock time that its monotonic check never reaches), but nothing documents that;
# so while a worker boots, a thread of its own beats for it, up to BOOT_ALLOWANCE_SECONDS. From the end of
# the boot on only the request loop beats, and --timeout ends a stuck request as before
# (tests/webui/test_gunicorn.py checks both).
BOOT_ALLOWANCE_SECONDS = 300.0
BOOT_BEAT_SECONDS = 1.0


def post_fork(_server: Any, worker: Any) -> None:
    booted = threading.Event()
    worker.carepath_booted = booted
    deadline = time.monotonic() + BOOT_ALLOWANCE_SECONDS

    def beat() -> None:
        while not booted.wait(BOOT_BEAT_SECONDS) and time.monotonic() < deadline:
            worker.notify()

    threading.Thread(target=beat, name="carepath boot heartbeat", daemon=True).start()


def post_worker_init(worker: Any) -> None:
    booted = getattr(worker, "carepath_booted", None)
    if booted is not None:
        booted.set()


def worker_exit(_server: Any, _worker: Any) -> None:
    from workflows.enqueue import ENQUEUER

    ENQUEUER.drain_if_started(EXIT_DRAIN_SECONDS)
