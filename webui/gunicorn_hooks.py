"""gunicorn's server hooks for `carepath run` (loaded with `--config python:webui.gunicorn_hooks`)."""

from __future__ import annotations

from typing import Any

# A worker that ends (recycled after --max-requests, or stopping) first hands over the wakes still waiting
# in its enqueue thread (workflows/enqueue.py): the daemon thread would die with them, and their work
# would wait for the sweep. Bounded, so an unreachable Prefect API delays the exit by seconds only.
EXIT_DRAIN_SECONDS = 5.0


def worker_exit(_server: Any, _worker: Any) -> None:
    from workflows.enqueue import ENQUEUER

    ENQUEUER.drain_if_started(EXIT_DRAIN_SECONDS)
