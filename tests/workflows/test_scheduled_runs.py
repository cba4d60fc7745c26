"""The scheduled deployments' runs are executed in the serve process itself (workflows/scheduled.py), against
the test harness's Prefect API: claimed once however many serve processes look, the latest due run of a
schedule runs and older ones are cancelled, and the run is recorded in Prefect as a runner's would be."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime, timedelta

from prefect import flow
from prefect.types.entrypoint import EntrypointType

from workflows.scheduled import SUPERSEDED, InProcessRunner

CALLS: list[tuple[int, str]] = []


@flow(name="carepath-scheduled-probe")
def probe() -> int:
    CALLS.append((os.getpid(), threading.current_thread().name))
    return len(CALLS)


def scheduled_runs(due: list[datetime]):
    """Two serve processes' runners over one deployment of `probe`, with runs scheduled at `due`; each
    runner looks once and lets its runs finish. Returns the runs as Prefect recorded them afterwards."""
    from prefect import get_client
    from prefect.states import Scheduled

    async def main():
        deployment = await probe.ato_deployment("probe", entrypoint_type=EntrypointType.MODULE_PATH)
        first, second = InProcessRunner([(deployment, probe)]), InProcessRunner([(deployment, probe)])
        async with get_client() as client:
            deployment_id = await deployment.aapply()
            second._flows[deployment_id] = probe
            first._flows[deployment_id] = probe
            runs = [await client.create_flow_run_from_deployment(deployment_id, state=Scheduled(scheduled_time=at))
                    for at in due]
            await asyncio.gather(first.run_due(client), second.run_due(client))
            await asyncio.gather(*first._running.values(), *second._running.values())
            return [await client.read_flow_run(run.id) for run in runs]

    return asyncio.run(main())


def test_a_due_scheduled_run_runs_once_in_this_process_and_older_ones_are_cancelled(prefect_harness):
    CALLS.clear()
    now = datetime.now(UTC)

    older, latest, future = scheduled_runs([now - timedelta(minutes=10), now - timedelta(seconds=5),
                                            now + timedelta(hours=1)])

    assert latest.state.is_completed(), latest.state
    assert [pid for pid, _thread in CALLS] == [os.getpid()]
    assert older.state.is_cancelled()
    assert older.state.message == SUPERSEDED
    assert future.state.is_scheduled()
