"""`carepath run` loads its demo, which queues mails, before the Prefect server it starts next answers:
those wakes are held (dropped without a warning; the outbox keeps the mails), while the same wake
outside the hold tries the API and warns that it could not."""

from __future__ import annotations

import logging

from engine.config import load_settings
from tests.mail.conftest import free_port
from workflows import enqueue


class Kept(logging.Handler):
    # On the module's logger itself: once Prefect is imported, its logging setup stops propagation.
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_wakes_are_held_silently_and_only_inside_the_hold(tmp_path):
    nobody = f"http://127.0.0.1:{free_port()}/api"  # no Prefect server listens there
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_PREFECT_API_URL": nobody})
    kept = Kept()
    enqueue.log.addHandler(kept)
    failed = enqueue.ENQUEUER.failed
    try:
        _held_then_not(settings, failed, kept)
    finally:
        enqueue.log.removeHandler(kept)


def _held_then_not(settings, failed: int, kept: Kept) -> None:

    with enqueue.held():
        assert enqueue.wake(settings, enqueue.DELIVER_MESSAGES) is False
    assert enqueue.ENQUEUER.drain(timeout=120)
    assert enqueue.ENQUEUER.failed == failed
    assert not [line for line in kept.lines if "could not enqueue" in line]

    assert enqueue.wake(settings, enqueue.DELIVER_MESSAGES) is True
    assert enqueue.ENQUEUER.drain(timeout=120)
    assert enqueue.ENQUEUER.failed == failed + 1
    assert [line for line in kept.lines if "could not enqueue" in line]
