"""The sweep: a scheduled flow that does the background work whose wake was lost.

Requests and engine steps wake the background task worker after they commit (workflows/enqueue.py);
that wake can be lost (the Prefect API was down, the worker died mid-run). The rows are the source of
truth, so every few minutes this flow delivers what is due in the outbox (first attempts whose wake was
lost, and retries whose backoff has passed), signs pending documents and runs imports waiting for a
runner. Claims on the rows keep it from doing anything the task worker is doing at the same moment.
"""

from __future__ import annotations

from prefect import flow, task

from engine.config import Settings, load_settings
from workflows.resources import run_logger

FLOW_NAME = "sweep"


def deliver_due(settings: Settings) -> dict[str, int]:
    from workflows.notifications import deliver_all_now

    report = deliver_all_now(settings)
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}


def sign_pending(settings: Settings) -> int:
    from engine.conclusions.service import pending_jobs
    from workflows.payments import seal_contracts, settle_pending_refunds
    from workflows.resources import session_factory

    settle_pending_refunds(settings)  # refunds whose background thread died with its process
    sealed = seal_contracts(settings)  # signed contracts of paid services
    with session_factory(settings.database_url)() as session:
        if not pending_jobs(session, 1):
            return sealed  # the usual case: do not load the signers for nothing
    from workflows.conclusions import produce_all_now

    return sealed + produce_all_now(settings)


def run_waiting_imports(settings: Settings) -> dict[int, dict[str, int]]:
    from workflows.imports import import_one, waiting_imports

    return {i: import_one(i, settings) for i in waiting_imports(settings)}


def pick_up(settings: Settings) -> dict[str, object]:
    """The sweep's work in this process, without Prefect: the serve process runs it when its connection to
    the Prefect server comes (back), since wakes sent while the server was away or restarting are lost.
    Each part is tried again soon when the database is briefly locked (workflows/transient.py): at the
    first start the demo load and the web app write at the same moment."""
    from workflows.transient import retry_when_locked

    documents = retry_when_locked(lambda: sign_pending(settings), "signing the pending documents")
    imports = retry_when_locked(lambda: run_waiting_imports(settings), "running the waiting imports")
    outbox = retry_when_locked(lambda: deliver_due(settings), "delivering the due messages")
    return {"documents": documents, "imports": imports, "outbox": outbox}


@task(name="sweep-outbox", cache_policy=None)
def sweep_outbox() -> dict[str, int]:
    return deliver_due(load_settings())


@task(name="sweep-documents", cache_policy=None)
def sweep_documents() -> int:
    return sign_pending(load_settings())


@task(name="sweep-imports", cache_policy=None)
def sweep_imports() -> dict[int, dict[str, int]]:
    return run_waiting_imports(load_settings())


@flow(name=FLOW_NAME, log_prints=True)
def sweep() -> dict[str, object]:
    # Documents and imports first: the mail they queue goes out in this same run.
    documents, imports = sweep_documents(), sweep_imports()
    result = {"documents": documents, "imports": imports, "outbox": sweep_outbox()}
    if any(result["outbox"].values()) or result["documents"] or result["imports"]:
        run_logger(__name__).info("picked up: %s", result)
    return result
