"""The serve process outlives a slow, busy or restarting Prefect server.

Prefect's task worker reconnects its websocket by itself only when the connection is refused or closed;
a server that accepts the connection but is too busy to answer (its SQLite says "database is locked"
under load) makes the opening handshake time out, an error it does not catch (PrefectHQ/prefect#19902),
and a 503 during the handshake is not caught either. The scheduled flows' runner gives up after three
failed polls in a row. Either ended the whole serve process. Here:
- `ReconnectingTaskWorker` subscribes through `ReconnectingSubscription`, which treats every network or
  websocket error as passing and tries again with a growing, jittered delay (0.5 s up to 30 s), and
  tells the serve process each time the subscription is (re)established;
- `keep_serving` starts any part again (a new task worker, a new runner) when it stops with an error,
  with the same backoff, so nothing short of a signal ends the process.
A wake sent while the server was away or restarting is lost (the server keeps scheduled background task
runs in memory); the serve process therefore picks up the rows' work itself at each (re)connection
(workflows.sweep.pick_up), and the claims on the rows keep that from doing anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import websockets.exceptions
from prefect.client.schemas.objects import TaskRun
from prefect.client.subscriptions import Subscription
from prefect.settings import get_current_settings
from prefect.task_worker import TaskWorker

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 30.0
# A part that ran this long before it stopped starts again at the first delay, not the grown one.
HEALTHY_AFTER = 60.0
# Errors of a server that is away, restarting or too busy to answer: refused, reset, timed out (in the
# opening handshake too), an HTTP error status instead of the websocket, a connection closed midway.
PASSING = (OSError, asyncio.TimeoutError, EOFError, websockets.exceptions.WebSocketException)


class Backoff:
    """Delays that double from FIRST_DELAY to MAX_DELAY, each spread by ±20 % so that the workers of
    several machines do not all knock at the same moment."""

    def __init__(self, first: float = FIRST_DELAY, most: float = MAX_DELAY) -> None:
        self.first, self.most, self.attempt = first, most, 0

    def next(self) -> float:
        delay = min(self.most, self.first * 2**self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries, not a secret

    def reset(self) -> None:
        self.attempt = 0


OnConnect = Callable[[bool], None]  # called with True when it is a reconnection


class ReconnectingSubscription(Subscription[TaskRun]):
    def __init__(self, *args: Any, on_connect: OnConnect, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_connect = on_connect
        self._backoff = Backoff()
        self._lost_at: float | None = None
        self._connected_before = False

    async def __anext__(self) -> TaskRun:
        while True:
            try:
                if self._websocket is None:
                    await self._ensure_connected()
                    self._connected()
                message = await self.websocket.recv()
                # Not acknowledged (the send fails): the server queues the run again for the next worker.
                await self.websocket.send(orjson.dumps({"type": "ack"}).decode())
                return self.model.model_validate_json(message)
            except PASSING as exc:
                await self._drop_connection()
                if self._lost_at is None:
                    self._lost_at = time.monotonic()
                delay = self._backoff.next()
                log.warning("no connection to the Prefect server at %s (%s: %s); trying again in %.1f s",
                            self.subscription_url, exc.__class__.__name__, exc, delay)
                await asyncio.sleep(delay)

    def _connected(self) -> None:
        if self._lost_at is not None:
            log.warning("connected to the Prefect server again after %.0f s", time.monotonic() - self._lost_at)
        self._lost_at = None
        self._backoff.reset()
        reconnected, self._connected_before = self._connected_before, True
        self._on_connect(reconnected)

    async def _drop_connection(self) -> None:
        self._websocket = None
        # The connection of the last attempt, established or half-way (closing it twice is harmless).
        connection = getattr(self._connect, "connection", None)
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)


class ReconnectingTaskWorker(TaskWorker):
    """Prefect's task worker with the subscription above (TaskWorker._subscribe_to_task_scheduling of
    Prefect 3.8, with the subscription class and the connect callback as the only differences)."""

    def __init__(self, *tasks: Any, limit: int | None, on_connect: OnConnect,
                 on_sigterm: Callable[[], None] | None = None) -> None:  # fmt: skip
        super().__init__(*tasks, limit=limit)
        self._on_connect = on_connect
        self._on_sigterm = on_sigterm

    def handle_sigterm(self, signum: int, frame: object) -> None:
        """The SIGTERM handler Prefect installs when the task worker starts. Prefect's own raises
        StopTaskWorker into whichever coroutine of the event loop is running (in this process often the
        scheduled runner's, whose keep_serving starts it again) and then SystemExit: the process went on
        until the supervisor killed it (and Prefect's runner, used here before, left "coroutine
        'Runner.astop' was never awaited": its handler calls the sync-or-async stop() inside the loop,
        which only makes the coroutine). The serve process stops all its parts itself (workflows/serve.py)."""
        if self._on_sigterm is None:
            super().handle_sigterm(signum, frame)
            return
        log.info("SIGTERM received, stopping")
        self._on_sigterm()

    async def _subscribe_to_task_scheduling(self) -> None:
        base_url = get_current_settings().api.url
        if base_url is None:
            raise ValueError("PREFECT_API_URL must be set for the task worker")
        log.info("Subscribing to runs of task(s): %s", " | ".join(sorted(t.name for t in self.tasks)))
        subscription = ReconnectingSubscription(
            model=TaskRun, path="/task_runs/subscriptions/scheduled", keys=self.task_keys,
            client_id=self.client_id, base_url=base_url, on_connect=self._on_connect,
        )  # fmt: skip
        async for task_run in subscription:
            log.info("Received task run: %s - %s", task_run.id, task_run.name)
            if await self._acquire_token(task_run.id):
                assert self._runs_task_group is not None  # noqa: S101 - set by __aenter__
                self._runs_task_group.start_soon(self._safe_submit_scheduled_task_run, task_run)


async def keep_serving(name: str, run: Callable[[], Awaitable[None]], *, backoff: Backoff | None = None) -> None:
    """Run `run()` (which builds a fresh task worker or runner each time) for ever: when it returns or
    fails, log it and start it again after a delay that grows while it keeps failing at once."""
    backoff = backoff or Backoff()
    while True:
        started = time.monotonic()
        try:
            await run()
            reason = "returned"
        except Exception as exc:  # noqa: BLE001 - whatever it was, the part is started again
            reason = f"{exc.__class__.__name__}: {exc}"
        if time.monotonic() - started > HEALTHY_AFTER:
            backoff.reset()
        delay = backoff.next()
        log.warning("the %s stopped (%s); starting it again in %.1f s", name, reason, delay)
        await asyncio.sleep(delay)
