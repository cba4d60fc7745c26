"""A real SMTP server on 127.0.0.1 (aiosmtpd) and the Russian catalog compiled from the merged messages.po."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

RU_CATALOG = (
    Path(__file__).resolve().parents[2] / "webui" / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    peer: tuple[str, int]

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return body.get_content()


@dataclass
class CollectingHandler:
    """Keeps every message; refuses recipients whose address starts with "refused"."""

    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook name
        if address.startswith("refused"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, session.peer))
        return "250 Message accepted"


@dataclass
class SmtpServer:
    url: str
    handler: CollectingHandler

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def ru_catalog() -> Catalog:
    """messages.po with the branches' .po.part files the lead has not merged yet (messages.po wins, as
    in tools/translations.py merge-parts)."""
    with RU_CATALOG.open("rb") as source:
        catalog = read_po(source, locale="ru")
    for part in sorted(RU_CATALOG.parent.glob("*.po.part")):
        with part.open("rb") as source:
            for message in read_po(source, locale="ru"):
                if message.id and message.string and not (catalog.get(message.id) and catalog[message.id].string):
                    catalog[message.id] = message
    return catalog


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(f"smtp://127.0.0.1:{port}", handler)
    finally:
        controller.stop()


@pytest.fixture
def closed_smtp_url() -> str:
    """An SMTP URL where nothing listens: every connection is refused at once."""
    return f"smtp://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def ru_translations() -> Translations:
    """The project's Russian catalog, compiled from messages.po (a stale .mo cannot hide a missing string)."""
    catalog = ru_catalog()
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")
