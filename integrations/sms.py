"""SMS. The HTTP gateway transport is a later issue; until it exists every SMS goes to the local
mailbox (subject "SMS to <number>"), where an admin can read it, and nothing pretends to have sent one.
"""

from __future__ import annotations

from pathlib import Path

from integrations.base import RenderedMessage, Transport, TransportError, to_mime
from integrations.mailbox import Mailbox

# Longer texts are split by the network and billed per part; templates are checked against this.
MAX_LENGTH = 160


class SmsTransport(Transport):
    """Base for SMS channels: `send` gets a message whose `text` is the whole SMS and `to` a number."""

    def send(self, message: RenderedMessage) -> None:
        raise NotImplementedError


class SmsMailboxTransport(SmsTransport):
    def __init__(self, path: Path, mail_from: str) -> None:
        self.mailbox = Mailbox(path)
        self.mail_from = mail_from

    def send(self, message: RenderedMessage) -> None:
        if not message.to.lstrip("+").isdigit():
            raise TransportError(f"{message.to!r} is not a phone number", permanent=True)
        copy = RenderedMessage(
            subject=f"SMS to {message.to}",
            text=message.text,
            html="",
            to=message.to,
            message_id=message.message_id,
        )
        self.mailbox.add(to_mime(copy, self.mail_from))
