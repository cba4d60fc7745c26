"""The inbound side of the masked correspondence relay (R-MSG-03 … R-MSG-05): an SMTP server (aiosmtpd).

Each conversation has an address `c<random>@CAREPATH_RELAY_DOMAIN`. Mail to it is taken only when the
address belongs to an open conversation and the sender is one of its two people, by their registered
address — otherwise it is refused during the SMTP dialogue (550), so the sending server bounces it and
nothing is stored. Accepted mail is reduced to what the person wrote: the text without the quoted
history ("On … wrote:", "> …", forwarded headers) and with both people's addresses hidden. It is stored
in the conversation and a fresh message is queued for the other side (engine.messaging.service.post),
whose From and Reply-To are the relay address. No header of the incoming mail (From, Reply-To, Sender,
Return-Path, Received, DKIM-Signature…) is ever passed on: the copy is built anew.

Run with `python -m integrations.relay` (`carepath run` starts it); it listens on CAREPATH_HOST at
CAREPATH_RELAY_PORT. In production the relay domain's MX points here (or a front MTA forwards to it).
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import sys
import threading
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import Any

import lxml.html
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from engine import audit
from engine.config import Settings, load_settings
from engine.db import make_engine, make_session_factory, transaction
from engine.documents.service import Limits
from engine.documents.storage import BlobStore
from engine.i18n import UserError
from engine.messaging import service
from engine.messaging.models import EMAIL
from integrations.files import file_store

log = logging.getLogger("carepath.relay")

UNKNOWN = "550 5.1.1 No such conversation address here"
NOT_PARTICIPANT = "550 5.7.1 Only the two people of this conversation may write to this address"
ONE_RECIPIENT = "452 4.5.3 One conversation address per message, please"
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Where the quoted history of a reply starts, in the clients our users have (English and Russian).
QUOTE_STARTS = [re.compile(p, re.IGNORECASE) for p in (
    r"^\s*On\b.{0,300}\bwrote:\s*$",
    r"^.{0,300}\b(пишет|написал|написала|написал\(а\)):\s*$",
    r"^\s*-{2,}\s*(Original Message|Forwarded message|Исходное сообщение|Пересылаемое сообщение)\s*-{2,}",
    r"^\s*(From|От|Sent|Отправлено|Date|Дата)\s*:\s*.*(@|\d{4})",
    r"^\s*_{10,}\s*$",  # Outlook's rule above the quoted message
)]


def quoted_history_start(lines: list[str]) -> int:
    """Index of the first line of the quoted history, or len(lines)."""
    for n, line in enumerate(lines):
        # Clients wrap "On <date>, <name> <address> wrote:" over two lines: try the pair as one too.
        pair = f"{line} {lines[n + 1]}" if n + 1 < len(lines) else line
        if any(p.search(line) for p in QUOTE_STARTS) or any(p.search(pair) for p in QUOTE_STARTS[:2]):
            return n
    return len(lines)


def clean_text(text: str, hide: list[str]) -> str:
    """The person's own words: quoted history cut off, quote lines dropped, addresses hidden."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: quoted_history_start(lines)]
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    body = "\n".join(lines).strip()
    hidden = {address.lower() for address in hide if address}

    def mask(match: re.Match[str]) -> str:
        return service.HIDDEN if match.group(0).lower() in hidden else match.group(0)

    body = EMAIL_RE.sub(mask, body)
    return re.sub(r"\n{3,}", "\n\n", body)


def html_to_text(html: str) -> str:
    """Text of an HTML-only email without its quoted parts (blockquote, Gmail's and Outlook's quote blocks)."""
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for node in root.xpath("//blockquote | //*[contains(@class, 'gmail_quote')] | //*[@id='divRplyFwdMsg']"
                           " | //*[@id='appendonsend'] | //style | //script | //head"):
        node.drop_tree()
    for br in root.xpath("//br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.xpath("//p | //div | //li | //tr"):
        block.tail = "\n" + (block.tail or "")
    return root.text_content()


def body_and_files(message: EmailMessage) -> tuple[str, list[service.Upload]]:
    part = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if part is not None:
        content = part.get_content()
        text = html_to_text(content) if part.get_content_type() == "text/html" else content
    files = []
    for attachment in message.iter_attachments():
        data = attachment.get_payload(decode=True) or b""
        files.append(service.Upload(attachment.get_filename() or "file", data))
    return text, files


class RelayHandler:
    """aiosmtpd handler. Database work runs in a worker thread, so one slow query never stalls the loop."""

    def __init__(self, sessions: sessionmaker[Session], *, relay: service.Relay, store: BlobStore,
                 limits: Limits) -> None:
        self.sessions = sessions
        self.relay = relay
        self.store = store
        self.limits = limits

    async def _run(self, fn: Callable[..., str | None], *args: Any) -> str | None:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if envelope.rcpt_tos:
            return ONE_RECIPIENT
        refusal = await self._run(self.check_recipient, envelope.mail_from or "", address, _peer(session))
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        result = await self._run(self.deliver, envelope.mail_from or "", envelope.rcpt_tos[0],
                                 envelope.original_content or envelope.content, _peer(session))
        return result or "451 4.3.0 Try again later"

    def _local_part(self, address: str) -> str | None:
        local, _, domain = parseaddr(address)[1].rpartition("@")
        return local if domain.lower() == self.relay.domain else None

    def check_recipient(self, sender: str, address: str, peer: str) -> str | None:
        local = self._local_part(address)
        with transaction(self.sessions) as session:
            conversation = service.by_relay_local(session, local) if local else None
            if conversation is None:
                log.warning("relay refused mail to unknown or closed address %s from %s (%s)", address, sender, peer)
                return UNKNOWN
            if service.participant_by_email(session, conversation, sender) is None:
                log.warning("relay refused mail from non-participant %s to conversation %s (%s)",
                            sender, conversation.id, peer)
                audit.record(session, "relay_refused", actor_id=None, subject_id=conversation.patient_id, ip=peer,
                             object_type="conversation", object_id=conversation.id, sender=sender[:254],
                             reason="not a participant")
                return NOT_PARTICIPANT
        return None

    def deliver(self, sender: str, address: str, content: bytes, peer: str) -> str:
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        header_from = [a for _, a in getaddresses(message.get_all("From", []))]
        local = self._local_part(address) or ""
        try:
            with transaction(self.sessions) as session:
                conversation = service.by_relay_local(session, local)
                if conversation is None:
                    return UNKNOWN
                author = service.participant_by_email(session, conversation, sender)
                # The visible From must be the same person: a participant's envelope with someone else's
                # From would let a stranger write through a friend's server.
                if author is None or len(header_from) != 1 or header_from[0].lower() != (author.email or "").lower():
                    log.warning("relay refused mail with From %s (envelope %s) to conversation %s (%s)",
                                header_from, sender, conversation.id, peer)
                    return NOT_PARTICIPANT
                text, files = body_and_files(message)
                # Both people's registered addresses, and whatever the mail itself claimed, are hidden.
                addresses = [sender, *header_from] + [
                    user.email for user in (session.get(type(author), conversation.doctor_id),
                                            session.get(type(author), conversation.patient_id)) if user and user.email]
                stored = service.post(session, conversation, author, clean_text(text, addresses), relay=self.relay,
                                      store=self.store, attachments=files, limits=self.limits, via=EMAIL, ip=peer)
                log.info("relay stored message %s in conversation %s", stored.id, conversation.id)
        except UserError as error:
            # Bad attachment, empty or oversized text: the sender's server bounces it with the reason.
            return f"554 5.6.0 {error}"
        return "250 2.0.0 Message relayed"


def _peer(session: Any) -> str:
    peer = getattr(session, "peer", None)
    return str(peer[0]) if isinstance(peer, tuple) and peer else ""


def make_controller(settings: Settings, sessions: sessionmaker[Session] | None = None, *,
                    hostname: str | None = None, port: int | None = None,
                    data_size_limit: int = service.MAX_MESSAGE_BYTES) -> Controller:
    """The relay server for these settings, not yet started (`controller.start()` / `.stop()`)."""
    if sessions is None:
        sessions = make_session_factory(make_engine(settings.database_url))
    max_bytes = settings.upload_max_mb * 1024 * 1024
    handler = RelayHandler(
        sessions, relay=service.Relay(domain=settings.relay_domain, base_url=settings.base_url),
        store=file_store(settings), limits=Limits(max_bytes=max_bytes),
    )
    return Controller(handler, hostname=hostname or settings.host, port=port or settings.relay_port,
                      data_size_limit=data_size_limit, ident="CarePath relay")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    controller = make_controller(settings)
    controller.start()
    log.info("relay for @%s listening on %s:%s", settings.relay_domain, controller.hostname, controller.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
