"""Signed PDFs in this process: renders, signs (PAdES, the platform's CA) and files every pending
conclusion and consent, then queues the conclusion's email. The `sign-documents` background task
(workflows/background.py) runs it when a request or an engine step asks for a document; the sweep flow
catches any request whose wake was lost.

The signers stay loaded in the worker process between runs (integrations.files.signing).
"""

from __future__ import annotations

from engine.conclusions.service import produce_pending
from engine.config import Settings
from integrations.files import file_store, signing
from workflows.resources import session_factory

BATCH = 50
MAX_BATCHES = 20


def base_url(settings: Settings) -> str:
    return settings.base_url or f"http://{settings.host}:{settings.port}"


def produce_now(settings: Settings, limit: int = BATCH) -> int:
    """One batch, in this process (tests, development, the background task)."""
    return produce_pending(
        session_factory(settings.database_url),
        file_store(settings),
        signing(settings),
        base_url(settings),
        limit=limit,
    )


def produce_all_now(settings: Settings, limit: int = BATCH, max_batches: int = MAX_BATCHES) -> int:
    total = 0
    for _ in range(max_batches):
        produced = produce_now(settings, limit)
        total += produced
        # A short batch means the queue is empty (failed rows stay pending until their attempts run out,
        # so "fewer than asked" rather than "none" ends the run and a failing row cannot spin it).
        if produced < limit:
            break
    return total
