"""The referral import as a Prefect flow (route 3): `import-referrals`, served by `make run`.

A run imports one queued table (`import_id`) or, with no id, every import waiting for a runner: queued
ones whose trigger never arrived, and running ones whose runner died (its lease ran out). The work and
its guarantees are engine.referrals.service.run_import's: each chunk of rows is one transaction, each
started pathway is recorded, and a rerun after a failure finishes the rest without doing anything twice.

How the web app starts it (webui/referrals/): with a Prefect API (PREFECT_API_URL, as under
`make run`), `workflows.dispatch.trigger(IMPORT_REFERRALS, parameters={"import_id": id})` and the serve
process runs it, visible in the Prefect UI; without one (a bare `flask run`, the browser tests), the web
process runs `run_import_now` in a background thread. The periodic sweep of the served deployment
catches any import whose trigger was lost.
"""

from __future__ import annotations

from prefect import flow, task

from engine.composition import build_connectors
from engine.config import Settings, load_settings
from engine.i18n import Conflict
from engine.referrals import service
from workflows.resources import run_logger, session_factory

FLOW_NAME = "import-referrals"


def run_import_now(settings: Settings, import_id: int) -> dict[str, int]:
    """One import, in this process (the CLI, the web app's fallback thread, tests)."""
    return service.run_import(
        session_factory(settings.database_url), import_id, connectors=build_connectors(settings),
        sms=bool(settings.sms_gateway_url), locale=settings.default_locale,
    )  # fmt: skip


def waiting_imports(settings: Settings) -> list[int]:
    with session_factory(settings.database_url)() as session:
        return service.runnable_imports(session)


# Retries cover a database that was briefly away; each retry resumes where the last attempt stopped.
@task(retries=2, retry_delay_seconds=[10, 60], cache_policy=None)
def import_table(import_id: int) -> dict[str, int]:
    settings = load_settings()
    log = run_logger(__name__)

    def progress(done: int, total: int) -> None:
        log.info("import %s: %d of %d rows", import_id, done, total)

    try:
        counts = service.run_import(
            session_factory(settings.database_url), import_id, connectors=build_connectors(settings),
            sms=bool(settings.sms_gateway_url), locale=settings.default_locale, progress=progress,
        )  # fmt: skip
    except Conflict:  # another run (the sweep, or a second trigger) holds this import: it finishes it
        log.info("import %s is being run by another flow run", import_id)
        return {}
    log.info("import %s finished: %s", import_id, counts)
    return counts


@flow(name=FLOW_NAME, log_prints=True)
def import_referrals(import_id: int | None = None) -> dict[int, dict[str, int]]:
    ids = [import_id] if import_id is not None else waiting_imports(load_settings())
    return {i: import_table(i) for i in ids}
