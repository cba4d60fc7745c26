"""The courier the outbox deliverer uses: renders a queued row and hands it to its channel's transport.

`courier_for(settings)` is the composition point: SMTP when `CAREPATH_SMTP_URL` is set, otherwise the
local mailbox; SMS through the HTTP gateway when `CAREPATH_SMS_GATEWAY_URL` is set, otherwise the mailbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime
from email.utils import formataddr, parseaddr

from jinja2 import TemplateError

from engine.config import Settings
from engine.documents.storage import BlobStore
from engine.outbox import EMAIL, SMS, QueuedMessage
from integrations.base import Attachment, RenderedMessage, Transport, TransportError
from integrations.calendar import appointment_ics
from integrations.files import file_store
from integrations.mail import SmtpTransport
from integrations.mailbox import MailboxTransport
from integrations.render import render_message
from integrations.sms import HttpSmsGateway, SmsMailboxTransport

log = logging.getLogger(__name__)

Renderer = Callable[..., RenderedMessage]


class Courier:
    """Used once per batch: `with courier: courier.send(row)`; transports open on first use."""

    def __init__(
        self, transports: Mapping[str, Transport], *, domain: str, render: Renderer = render_message,
        files: BlobStore | None = None,
    ) -> None:
        self.transports = dict(transports)
        self.files = files  # where `attachments` in a row's context are read from
        self.domain = domain
        self.render = render
        self._stack = ExitStack()
        self._opened: set[str] = set()

    def __enter__(self) -> Courier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._opened.clear()
        self._stack.close()

    def send(self, message: QueuedMessage) -> None:
        transport = self.transports.get(message.channel)
        if transport is None:
            raise TransportError(f"no transport for channel {message.channel!r}", permanent=True)
        rendered = self._render(message)
        if message.channel not in self._opened:
            self._stack.enter_context(transport)
            self._opened.add(message.channel)
        transport.send(rendered)

    def _render(self, message: QueuedMessage) -> RenderedMessage:
        try:
            rendered = self.render(
                message.kind, message.locale, message.context, to=message.to, channel=message.channel
            )
        except (TemplateError, KeyError) as exc:
            # A missing template or context key will fail the same way every time.
            raise TransportError(
                f"cannot render {message.kind!r}: {exc.__class__.__name__}: {exc}", permanent=True
            ) from exc
        # Stable per row, so a message sent again after a crash is recognisably the same one.
        stamp = message.created_at.strftime("%Y%m%d%H%M%S")
        rendered = replace(rendered, message_id=f"<outbox.{message.id}.{stamp}@{self.domain}>",
                           attachments=self._attachments(message, rendered))
        relay = message.context.get("relay_from")
        if relay:  # engine.messaging: a conversation message is sent as its relay address, see base.py
            sender = formataddr((str(message.context.get("relay_name") or ""), str(relay)), charset="utf-8")
            rendered = replace(rendered, mail_from=sender, reply_to=str(relay))
        return rendered

    def _attachments(self, message: QueuedMessage, rendered: RenderedMessage) -> tuple[Attachment, ...]:
        """Files named in the row's context as {storage_key, filename, content_type}, read now: the outbox
        row stays small, and the stored file is immutable, so what is sent is what was filed. An entry with
        `calendar` ({uid, starts_at, ends_at, location[, remind_minutes]}) is an .ics made now, its title
        the mail's subject and its text the mail's text, so it speaks the reader's language."""
        wanted = message.context.get("attachments") or []
        if not wanted or message.channel != EMAIL:
            return ()
        try:
            return tuple(self._attachment(a, rendered) for a in wanted)
        except (KeyError, TypeError, ValueError, FileNotFoundError) as exc:
            raise TransportError(f"attachment of {message.kind!r} unavailable: {exc}", permanent=True) from exc

    def _attachment(self, wanted: Mapping[str, object], rendered: RenderedMessage) -> Attachment:
        calendar = wanted.get("calendar")
        if isinstance(calendar, Mapping):
            body = appointment_ics(
                uid=str(calendar["uid"]), starts_at=datetime.fromisoformat(str(calendar["starts_at"])),
                ends_at=datetime.fromisoformat(str(calendar["ends_at"])), summary=rendered.subject,
                location=str(calendar.get("location") or ""), description=rendered.text,
                remind_minutes=int(str(calendar.get("remind_minutes") or 60)),
            )  # fmt: skip
            return Attachment(str(wanted["filename"]), "text/calendar", body)
        if self.files is None:
            raise TransportError("this courier has no file store for attachments", permanent=True)
        return Attachment(str(wanted["filename"]), str(wanted.get("content_type") or "application/octet-stream"),
                          self.files.read(str(wanted["storage_key"])))


def courier_for(settings: Settings) -> Courier:
    if settings.smtp_url:
        email: Transport = SmtpTransport(settings.smtp_url, settings.mail_from)
    else:
        email = MailboxTransport(settings.mailbox_path, settings.mail_from)
    sms: Transport
    if settings.sms_gateway_url:
        sms = HttpSmsGateway(settings.sms_gateway_url, settings.sms_gateway_token)
    else:
        sms = SmsMailboxTransport(settings.mailbox_path, settings.mail_from)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "carepath.local"
    return Courier({EMAIL: email, SMS: sms}, domain=domain, files=file_store(settings))
