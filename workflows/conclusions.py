"""Signed PDFs as a Prefect flow: renders, signs (PAdES, the platform's CA) and files every pending
conclusion and consent, then queues the conclusion's email. Served every 10 seconds and triggered by the
web app after it commits a request (webui composition), so a conclusion reaches the patient in seconds.

The signers stay loaded in the serve process between runs (reports.signing.signed_documents).
"""

from __future__ import annotations

from prefect import flow, task

from engine.conclusions.service import produce_pending
from engine.config import Settings, load_settings
from engine.documents.storage import FileStore
from reports.signing import signed_documents
from workflows.resources import run_logger, session_factory

FLOW_NAME = "produce-conclusions"
BATCH = 50
MAX_BATCHES = 20


def base_url(settings: Settings) -> str:
    return settings.base_url or f"http://{settings.host}:{settings.port}"


def produce_now(settings: Settings, limit: int = BATCH) -> int:
    """One batch, in this process (tests, development, the flow's task)."""
    return produce_pending(
        session_factory(settings.database_url),
        FileStore(settings.uploads_path),
        signed_documents(settings.keys_path),
        base_url(settings),
        limit=limit,
    )


@task(retries=2, retry_delay_seconds=[5, 30], cache_policy=None)
def produce_batch(limit: int = BATCH) -> int:
    return produce_now(load_settings(), limit)


@flow(name=FLOW_NAME, log_prints=True)
def produce_conclusions(limit: int = BATCH, max_batches: int = MAX_BATCHES) -> int:
    total = 0
    for _ in range(max_batches):
        produced = produce_batch(limit)
        total += produced
        # A short batch means the queue is empty (failed rows stay pending until their attempts run out,
        # so "fewer than asked" rather than "none" ends the run and a failing row cannot spin it).
        if produced < limit:
            break
    if total:
        run_logger(__name__).info("signed documents produced: %d", total)
    return total
