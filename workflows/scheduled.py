"""The scheduled flows' runs, executed in the serve process itself instead of a new process per run.

The Prefect server's scheduler creates the runs of each deployment's schedule (workflows/deployments.py).
Prefect's own runner (prefect.runner.Runner) starts a new Python process for each of them, about 2.5 s of
CPU to import Prefect and the project for a run that mostly finds nothing to do: at 27 runs an hour, the
larger part of the idle platform's CPU. This runner asks the server for its deployments' runs once a minute,
claims each due run as Prefect's runner does (Scheduled -> Pending: the server refuses a second claim, so
serve processes on several machines run each once, and the deployment's one-at-a-time limit is applied
there) and executes it with Prefect's flow engine (prefect.flow_engine.run_flow) in a thread of this process.
The run shows in the Prefect UI as before: its deployment, states, task runs, logs and result.

Runs that fell due while no serve process was running are not all made up: each run does whatever is due
by then, so the latest due run of a deployment runs and the older ones are cancelled with a message.
A running run cannot be cancelled from the Prefect UI here (there is no process of its own to stop); these
runs take seconds.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments.runner import RunnerDeployment

log = logging.getLogger(__name__)

# How often the server is asked for runs: one request a minute. A run due sooner than that is waited for
# to the second, so runs start on time.
POLL_SECONDS = 60.0
SUPERSEDED = "Skipped: a later run of the same schedule did its work."


class InProcessRunner:
    """Registers the scheduled deployments and runs their due runs in this process, for ever."""

    def __init__(self, scheduled: Iterable[tuple[RunnerDeployment, Flow[Any, Any]]],
                 poll_seconds: float = POLL_SECONDS) -> None:  # fmt: skip
        self.scheduled = list(scheduled)
        self.poll_seconds = poll_seconds
        self._flows: dict[UUID, Flow[Any, Any]] = {}
        self._running: dict[UUID, asyncio.Task[None]] = {}  # per deployment: one run at a time

    async def start(self) -> None:
        from prefect import get_client

        for deployment, flow_ in self.scheduled:
            self._flows[await deployment.aapply()] = flow_
        async with get_client() as client:
            while True:
                await asyncio.sleep(await self.run_due(client))

    async def run_due(self, client: PrefectClient) -> float:
        """Start the due runs; returns how long to wait before the next look (until the next run is due,
        at most the poll interval)."""
        now = datetime.now(UTC)
        runs = await client.get_scheduled_flow_runs_for_deployments(
            deployment_ids=list(self._flows), scheduled_before=now + timedelta(seconds=self.poll_seconds))
        due: dict[UUID, list[FlowRun]] = {}
        upcoming = [self.poll_seconds]
        for run in runs:
            at = _due_at(run)
            if at <= now:
                due.setdefault(run.deployment_id, []).append(run)  # type: ignore[arg-type]
            else:
                upcoming.append((at - now).total_seconds())
        for deployment_id, waiting in due.items():
            previous = self._running.get(deployment_id)
            if previous is not None and not previous.done():
                continue  # the next look finds these runs again
            *older, latest = sorted(waiting, key=_due_at)
            for run in older:
                await _cancel(client, run)
            self._running[deployment_id] = asyncio.create_task(self._claim_and_run(client, latest))
        return max(0.5, min(upcoming))

    async def _claim_and_run(self, client: PrefectClient, run: FlowRun) -> None:
        from prefect.exceptions import Abort
        from prefect.states import Crashed, Pending
        from prefect.utilities.engine import propose_state

        try:
            state = await propose_state(client, Pending(), flow_run_id=run.id)
        except Abort:
            return  # another serve process took it
        except Exception:
            log.exception("could not claim the scheduled run %s (%s)", run.name, run.id)
            return
        if not state.is_pending():
            return  # taken elsewhere, or refused by the deployment's one-at-a-time limit
        flow_ = self._flows[run.deployment_id]  # type: ignore[index]
        try:
            # Read again: the Pending state carries the deployment's concurrency lease the engine renews.
            claimed = await client.read_flow_run(run.id)
            # With this task's context: the Prefect settings it runs under (the API's address) go along.
            context = contextvars.copy_context()
            await asyncio.get_running_loop().run_in_executor(None, context.run, _execute, flow_, claimed)
        except Exception as exc:  # the flow's own failures are states; this is the engine itself failing
            log.exception("the scheduled run %s (%s) crashed", run.name, run.id)
            try:
                await propose_state(client, Crashed(message=f"{exc.__class__.__name__}: {exc}"),
                                    flow_run_id=run.id)
            except Exception:  # noqa: BLE001 - the server's own clean-up deals with it
                log.warning("could not mark the run %s as crashed", run.id)


def _execute(flow_: Flow[Any, Any], flow_run: FlowRun) -> None:
    """Prefect's flow engine, as the runner's child process would run it (a thread of its own here: an
    async flow gets an event loop of its own)."""
    from prefect.flow_engine import run_flow

    result = run_flow(flow_, flow_run=flow_run, return_type="state")
    if asyncio.iscoroutine(result):
        asyncio.run(result)


async def _cancel(client: PrefectClient, run: FlowRun) -> None:
    from prefect.states import Cancelled

    try:
        await client.set_flow_run_state(run.id, Cancelled(message=SUPERSEDED))
    except Exception:  # noqa: BLE001 - left scheduled, it is found again and cancelled next time
        log.warning("could not cancel the superseded run %s", run.id)


def _due_at(run: FlowRun) -> datetime:
    return run.next_scheduled_start_time or run.expected_start_time or datetime.now(UTC)
