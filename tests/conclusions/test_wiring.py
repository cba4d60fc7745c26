"""The composition around signing: the web app wakes the `sign-documents` background task after a commit
that requested a document, and the courier attaches a filed PDF to the email (or fails the message for good if it is gone)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.conclusions.service import REQUESTED_FLAG
from engine.config import load_settings
from engine.db import create_all, transaction
from engine.documents.storage import FileStore
from engine.outbox import QueuedMessage
from integrations.base import RenderedMessage, TransportError, to_mime
from integrations.courier import Courier


def test_a_commit_that_requested_a_conclusion_wakes_signing_once(tmp_path, monkeypatch):
    import workflows.enqueue
    from webui import create_app

    calls = []
    monkeypatch.setattr(workflows.enqueue.ENQUEUER, "submit", lambda wake: calls.append(wake[:2]))
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_PREFECT_API_URL": "http://127.0.0.1:9/api"})
    app = create_app({"TESTING": True}, settings=settings)
    runtime = app.extensions["carepath"]
    create_all(runtime.engine)

    with transaction(runtime.sessions) as session:
        session.info[REQUESTED_FLAG] = True
    with transaction(runtime.sessions):
        pass  # a later commit without a request wakes nothing

    assert calls == [("http://127.0.0.1:9/api", workflows.enqueue.SIGN_DOCUMENTS)]
    runtime.engine.dispose()


class Keep:
    def __init__(self) -> None:
        self.sent: list[RenderedMessage] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def send(self, message: RenderedMessage) -> None:
        self.sent.append(message)


def queued(context: dict) -> QueuedMessage:
    return QueuedMessage(id=1, kind="conclusion_ready", channel="email", to="anna@test.org", locale="en",
                         context=context, created_at=datetime(2026, 3, 5, tzinfo=UTC), attempt=1)


def mail_context(key: str) -> dict:
    return {"name": "Anna", "number": 7, "doctor": "Dr Petrov", "date": "05.03.2026", "link": "http://x/history",
            "verify_link": "http://x/verify/abc",
            "attachments": [{"storage_key": key, "filename": "conclusion-7.pdf", "content_type": "application/pdf"}]}


def test_the_courier_reads_the_attachment_from_the_file_store_at_delivery(tmp_path):
    store = FileStore(tmp_path)
    key = store.put(b"%PDF-1.4 signed conclusion")
    transport = Keep()
    courier = Courier({"email": transport}, domain="carepath.test", files=store)

    courier.send(queued(mail_context(key)))

    [message] = transport.sent
    assert [(a.filename, a.content_type, a.data) for a in message.attachments] == [
        ("conclusion-7.pdf", "application/pdf", b"%PDF-1.4 signed conclusion")]
    mime = to_mime(message, "CarePath <noreply@carepath.test>")
    assert mime.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in mime.walk()][1:] == ["multipart/alternative", "text/plain", "text/html",
                                                               "application/pdf"]


def test_a_missing_attachment_fails_the_message_for_good(tmp_path):
    courier = Courier({"email": Keep()}, domain="carepath.test", files=FileStore(tmp_path))

    with pytest.raises(TransportError) as failure:
        courier.send(queued(mail_context("0" * 64)))

    assert failure.value.permanent
