"""The referral import (route 3) in this process: one queued table, or every import waiting for a runner.

The `run-import` background task (workflows/background.py) runs `import_one` when a manager confirms an
import (webui/referrals/ wakes it after the commit); the sweep flow (workflows/sweep.py) runs the
imports whose wake was lost or whose runner died (its lease ran out). The work and its guarantees are
engine.referrals.service.run_import's: each chunk of rows is one transaction, each started pathway is
recorded, and a rerun after a failure finishes the rest without doing anything twice. Without a Prefect
API (a bare `flask run`, the browser tests) the web process runs `run_import_now` in a thread.
"""

from __future__ import annotations

from engine.composition import build_connectors
from engine.config import Settings, load_settings
from engine.i18n import Conflict
from engine.referrals import service
from workflows.resources import run_logger, session_factory


def run_import_now(settings: Settings, import_id: int) -> dict[str, int]:
    """One import, in this process (the CLI, the web app's fallback thread, tests)."""
    return service.run_import(
        session_factory(settings.database_url), import_id, connectors=build_connectors(settings),
        sms=bool(settings.sms_gateway_url), locale=settings.default_locale,
    )  # fmt: skip


def waiting_imports(settings: Settings) -> list[int]:
    with session_factory(settings.database_url)() as session:
        return service.runnable_imports(session)


def import_one(import_id: int, settings: Settings | None = None) -> dict[str, int]:
    """Run one import with progress in the run's log; an import another runner holds is left to it."""
    settings = settings or load_settings()
    log = run_logger(__name__)

    def progress(done: int, total: int) -> None:
        log.info("import %s: %d of %d rows", import_id, done, total)

    try:
        counts = service.run_import(
            session_factory(settings.database_url), import_id, connectors=build_connectors(settings),
            sms=bool(settings.sms_gateway_url), locale=settings.default_locale, progress=progress,
        )  # fmt: skip
    except Conflict:  # another run (the sweep, or a second wake) holds this import: it finishes it
        log.info("import %s is being run by another runner", import_id)
        return {}
    log.info("import %s finished: %s", import_id, counts)
    return counts
