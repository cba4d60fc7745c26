"""Keeping Prefect's own storage bounded.

Prefect's database vacuum service (settings in workflows/prefect_env.py) deletes old flow runs with their
task runs and logs, and old events. Background task runs have no flow run, and the vacuum leaves them;
the task worker also persists every background task's result (and a run-import's parameters) as files
under PREFECT_HOME/storage. This hourly flow deletes both once they are older than the retention period.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import flow, get_client

from workflows.resources import run_logger

FLOW_NAME = "prefect-retention"
PAGE = 200


def retention() -> timedelta:
    """The flow-run retention Prefect's vacuum is given (PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD)."""
    from prefect.settings import get_current_settings

    return get_current_settings().server.services.db_vacuum.retention_period


async def delete_old_background_task_runs(older_than: timedelta) -> int:
    from prefect.client.schemas.filters import (
        TaskRunFilter,
        TaskRunFilterFlowRunId,
        TaskRunFilterStartTime,
    )
    from prefect.client.schemas.sorting import TaskRunSort

    cutoff = datetime.now(UTC) - older_than
    deleted = skipped = 0
    async with get_client() as client:
        while True:
            runs = await client.read_task_runs(
                task_run_filter=TaskRunFilter(
                    flow_run_id=TaskRunFilterFlowRunId(is_null_=True),
                    start_time=TaskRunFilterStartTime(before_=cutoff),
                ),
                limit=PAGE,
                # Past the unfinished runs kept so far: a page of only unfinished (old, stuck) runs must not
                # hide the finished ones behind it.
                offset=skipped,
                # Named: Prefect 3.8's client sends no sort as null, which its own server refuses (422).
                sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            )
            finished = [run for run in runs if run.state is None or run.state.is_final()]
            for run in finished:
                await client.delete_task_run(run.id)
            deleted += len(finished)
            skipped += len(runs) - len(finished)
            if len(runs) < PAGE:
                return deleted


def delete_old_files(folder: Path, older_than: timedelta) -> int:
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    deleted = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
    return deleted


@flow(name=FLOW_NAME)
async def prefect_retention() -> dict[str, int]:
    from prefect.settings import get_current_settings

    keep = retention()
    runs = await delete_old_background_task_runs(keep)
    files = delete_old_files(Path(get_current_settings().results.local_storage_path), keep)
    if runs or files:
        run_logger(__name__).info("deleted %d background task runs and %d stored results older than %s",
                                  runs, files, keep)
    return {"task_runs": runs, "files": files}
