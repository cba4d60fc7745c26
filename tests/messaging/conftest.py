"""Messaging fixtures: a doctor and a patient with correspondence switched on, the relay on a free port,
and a second aiosmtpd server that collects what the platform sends (the people's own mailboxes)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from engine.accounts.models import ACTIVE, User, UserRole
from engine.config import Settings, load_settings
from engine.db import transaction
from engine.documents.storage import FileStore
from engine.messaging import service
from engine.outbox import deliver_due
from integrations.courier import courier_for
from integrations.relay import make_controller

RELAY_DOMAIN = "relay.clinic.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Collected:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()


@dataclass
class Collector:
    """The outside world's mail servers: whatever the platform sends arrives here."""

    received: list[Collected] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.received.append(Collected(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def to(self, address: str) -> list[Collected]:
        return [m for m in self.received if address in m.recipients]


@dataclass
class World:
    settings: Settings
    sessions: sessionmaker[Session]
    doctor: int
    patient: int
    stranger: int
    conversation: int
    relay_address: str
    relay_port: int
    collector: Collector

    def deliver(self) -> None:
        report = deliver_due(self.sessions, lambda: courier_for(self.settings))
        assert report.failed == report.retried == 0, report.errors

    def user(self, session: Session, user_id: int) -> User:
        found = session.get(User, user_id)
        assert found is not None
        return found

    @property
    def relay(self) -> service.Relay:
        return service.Relay(domain=RELAY_DOMAIN, base_url=self.settings.base_url)

    @property
    def store(self) -> FileStore:
        return FileStore(self.settings.uploads_path)


def add_user(session: Session, email: str, role: str, last: str, first: str) -> int:
    user = User(email=email, last_name=last, first_name=first, status=ACTIVE, locale="en")
    user.roles = [UserRole(role=role)]
    session.add(user)
    session.flush()
    return user.id


@pytest.fixture
def collector() -> Iterator[Collector]:
    sink = Collector()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port  # type: ignore[attr-defined]
    yield sink
    controller.stop()


@pytest.fixture
def world(sessions, collector, tmp_path) -> Iterator[World]:
    relay_port = free_port()
    settings = load_settings({
        "CAREPATH_INSTANCE_PATH": str(tmp_path / "instance"), "CAREPATH_BASE_URL": "https://care.example",
        "CAREPATH_SMTP_URL": f"smtp://127.0.0.1:{collector.port}",  # type: ignore[attr-defined]
        "CAREPATH_MAIL_FROM": "CarePath <noreply@care.example>",
        "CAREPATH_RELAY_DOMAIN": RELAY_DOMAIN, "CAREPATH_RELAY_PORT": str(relay_port),
        "CAREPATH_UPLOAD_MAX_MB": "1",
    })
    with transaction(sessions) as session:
        doctor = add_user(session, "dr.house@private.test", "doctor", "House", "Gregory")
        patient = add_user(session, "pavel.home@mail.test", "patient", "Petrov", "Pavel")
        stranger = add_user(session, "someone@else.test", "patient", "Other", "Oleg")
        conversation = service.enable(session, session.get(User, doctor), patient)
        address = f"{conversation.relay_local}@{RELAY_DOMAIN}"
        conversation_id = conversation.id
    controller = make_controller(settings, sessions, hostname="127.0.0.1", port=relay_port,
                                 data_size_limit=2 * 1024 * 1024)
    controller.start()
    yield World(settings, sessions, doctor, patient, stranger, conversation_id, address, relay_port, collector)
    controller.stop()
