"""The serve process for real (`python -m workflows.serve`, against the test harness's Prefect API): its
task worker delivers what a commit queued, it is killed in the middle of a delivery and a new one sends
each message once, and its timer worker fires a pathway's timer within seconds of its due time."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from engine import outbox
from engine.config import load_settings
from engine.db import transaction
from tests.mail.conftest import CollectingHandler, free_port
from tests.workflows.conftest import start_serve, stop, wait_until
from workflows import enqueue
from workflows.resources import session_factory

ROOT = Path(__file__).resolve().parents[2]


class StallingHandler(CollectingHandler):
    """Holds the SMTP conversation at the recipient of any address starting with "stall" until released,
    so the deliverer is caught mid-delivery with the message not yet accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("stall") and not self.release.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 try again later"  # this conversation's client is gone by now anyway
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def smtp():
    handler = StallingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", handler
    handler.release.set()
    controller.stop()


def queue(sessions, recipients: list[str]) -> None:
    with transaction(sessions) as session:
        for to in recipients:
            outbox.enqueue(session, kind="confirm_email", to=to, locale="en",
                           context={"name": "Anna", "link": "https://carepath.test/confirm/1", "expires_hours": 24})


def test_a_worker_killed_mid_delivery_leaves_each_message_sent_once(prefect_harness, instance, smtp, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    api, (smtp_url, handler) = PREFECT_API_URL.value(), smtp
    monkeypatch.setenv("CAREPATH_PREFECT_API_URL", api)
    settings = load_settings()
    sessions = session_factory(settings.database_url)
    enqueue.wake_after_commit(sessions, settings)
    recipients = ["first@example.org", "second@example.org", "stalled@example.org", "fourth@example.org",
                  "fifth@example.org"]
    worker = start_serve(instance, api, smtp_url)
    try:
        queue(sessions, recipients)  # the commit wakes the worker's task
        assert handler.stalled.wait(120), "the worker never reached the stalled message"
        worker.send_signal(signal.SIGKILL)  # killed in the middle of a delivery
        worker.wait(30)
    finally:
        stop(worker)
    handler.release.set()
    assert sorted(r for m in handler.received for r in m.recipients) == ["first@example.org", "second@example.org"]

    # The dead worker's claim on the rest runs out (its lease; here set to now rather than waited for).
    with transaction(sessions) as session:
        session.execute(update(outbox.OutboxMessage).where(outbox.OutboxMessage.status == outbox.SENDING)
                        .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
    worker = start_serve(instance, api, smtp_url)
    try:
        assert enqueue.wake(settings, enqueue.DELIVER_MESSAGES)
        wait_until(lambda: len(handler.received) >= len(recipients), timeout=120)
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        stop(worker)

    delivered = sorted(r for m in handler.received for r in m.recipients)
    assert delivered == sorted(recipients)  # every message, each once
    with sessions() as session:
        assert set(session.scalars(select(outbox.OutboxMessage.status))) == {outbox.SENT}


TIMER_BPMN = (ROOT / "tests" / "data" / "workflow" / "timer_at" / "timer_at.bpmn").read_text()


def test_the_serve_process_fires_a_timer_written_after_it_went_to_sleep(prefect_harness, instance, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    from engine.workflow import deploy_model, start_instance
    from engine.workflow.access import Actor
    from engine.workflow.models import DueTimer

    api = PREFECT_API_URL.value()
    sessions = session_factory(instance.database_url)
    with transaction(sessions) as session:
        deploy_model(session, "timer_at", {"timer_at.bpmn": TIMER_BPMN})
    worker = start_serve(instance, api)
    try:
        time.sleep(2)  # the timer worker is asleep, with no timer at all
        due = datetime.now(UTC) + timedelta(seconds=3)
        iid = start_instance(sessions, "timer_at", Actor(1, frozenset({"patient"})), {"due_at": due.isoformat()})

        def moved_on():
            with sessions() as session:
                return session.scalar(select(DueTimer.id).where(DueTimer.instance_id == iid)) is None

        wait_until(moved_on, timeout=60, step=0.02)
        fired_at = datetime.now(UTC)
    finally:
        stop(worker)
    assert fired_at >= due
