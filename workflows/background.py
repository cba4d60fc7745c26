"""The work that follows a person's action, as Prefect background tasks: deliver the queued messages,
run a referral import, sign the requested documents.

The web app (and the timer worker) call `.delay()` through workflows.enqueue after their transaction
commits; the long-lived task worker in the serve process (workflows/serve.py, `prefect.task_worker`)
picks the run up over its websocket within milliseconds and runs it in a thread: no flow run, no new
process. Each task finds its work in the database (outbox rows, the import row, pending conclusions),
which stays the source of truth: a run that was never enqueued, or whose worker died, is done by the
next run or by the sweep (workflows/periodic.py), and the rows' claims keep anything from happening twice.

Deliveries and signing take no parameters ("whatever is due"), so Prefect stores no parameter file for
them and a burst of enqueues is cheap to coalesce.
"""

from __future__ import annotations

from prefect import task

from engine.config import load_settings
from workflows.enqueue import DELIVER_MESSAGES, RUN_IMPORT, SIGN_DOCUMENTS
from workflows.resources import run_logger
from workflows.transient import retry_when_locked


# A briefly locked SQLite database is waited out inside the run (workflows/transient.py, seconds);
# Prefect's retries cover the database being away longer. Failed sends are not task failures, they are
# recorded per message and retried by the outbox's own backoff.
@task(name=DELIVER_MESSAGES, retries=2, retry_delay_seconds=[2, 10])
def deliver_messages() -> dict[str, int]:
    from workflows.notifications import deliver_all_now

    settings = load_settings()
    report = retry_when_locked(lambda: deliver_all_now(settings), "delivering the due messages")
    if report.errors:
        run_logger(__name__).warning("%d not delivered this time:\n%s", len(report.errors),
                                     "\n".join(report.errors[:20]))
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}


@task(name=RUN_IMPORT, retries=2, retry_delay_seconds=[5, 30])
def run_import(import_id: int) -> dict[str, int]:
    from workflows.imports import import_one

    return retry_when_locked(lambda: import_one(import_id), f"running import {import_id}")


@task(name=SIGN_DOCUMENTS, retries=2, retry_delay_seconds=[2, 10])
def sign_documents() -> int:
    from workflows.conclusions import produce_all_now
    from workflows.payments import seal_contracts

    settings = load_settings()
    # Signed contracts of paid services too.
    produced = retry_when_locked(lambda: produce_all_now(settings) + seal_contracts(settings), "signing documents")
    if produced:
        run_logger(__name__).info("signed documents produced: %d", produced)
    return produced


BACKGROUND_TASKS = (deliver_messages, run_import, sign_documents)
BY_NAME = {t.name: t for t in BACKGROUND_TASKS}
