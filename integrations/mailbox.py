"""The local mailbox: with no SMTP server configured, every message is an .eml file in the instance
folder, and an admin page lists them, so a demo shows every email and its links without a mail server.

Ids are the file names without `.eml`; anything that does not match their exact shape is unknown, so
an id from a URL can never name a file outside the folder.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from integrations.base import RenderedMessage, Transport, to_mime

SUFFIX = ".eml"
# Nanosecond time first, so names sort by arrival; a random tail keeps two writers apart.
ID_PATTERN = re.compile(r"^[0-9]{20}-[0-9a-f]{8}$")


@dataclass(frozen=True)
class MailboxEntry:
    id: str
    subject: str
    to: str
    date: datetime | None


@dataclass(frozen=True)
class MailboxMessage(MailboxEntry):
    sender: str
    text: str
    html: str


class Mailbox:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def add(self, mime: Message) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        message_id = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        final = self.path / (message_id + SUFFIX)
        partial = self.path / (message_id + ".tmp")
        # Written aside and renamed, so the admin page never shows half a message.
        partial.write_bytes(mime.as_bytes())
        os.replace(partial, final)
        return message_id

    def ids(self) -> list[str]:
        """Every message id, newest first."""
        if not self.path.is_dir():
            return []
        names = (p.name.removesuffix(SUFFIX) for p in self.path.iterdir() if p.name.endswith(SUFFIX))
        return sorted((n for n in names if ID_PATTERN.match(n)), reverse=True)

    def list_messages(self, limit: int = 50, offset: int = 0) -> list[MailboxEntry]:
        """Newest first; only the headers of the page asked for are read."""
        entries = []
        for message_id in self.ids()[offset : offset + limit]:
            mime = self._read(message_id, headers_only=True)
            if mime is not None:
                entries.append(
                    MailboxEntry(message_id, str(mime["Subject"] or ""), str(mime["To"] or ""), _date(mime))
                )
        return entries

    def get_message(self, message_id: str) -> MailboxMessage | None:
        """The message with its text and HTML bodies, or None for an unknown or malformed id."""
        mime = self._read(message_id)
        if mime is None:
            return None
        text = mime.get_body(preferencelist=("plain",))
        html = mime.get_body(preferencelist=("html",))
        return MailboxMessage(
            id=message_id,
            subject=str(mime["Subject"] or ""),
            to=str(mime["To"] or ""),
            date=_date(mime),
            sender=str(mime["From"] or ""),
            text=text.get_content() if text is not None else "",
            html=html.get_content() if html is not None else "",
        )

    def _read(self, message_id: str, headers_only: bool = False) -> EmailMessage | None:
        if not ID_PATTERN.match(message_id):
            return None
        try:
            with open(self.path / (message_id + SUFFIX), "rb") as handle:
                parsed = BytesParser(policy=policy.default).parse(handle, headersonly=headers_only)
        except FileNotFoundError:
            return None
        assert isinstance(parsed, EmailMessage)
        return parsed


def _date(mime: EmailMessage) -> datetime | None:
    try:
        return parsedate_to_datetime(str(mime["Date"])) if mime["Date"] else None
    except (TypeError, ValueError):
        return None


class MailboxTransport(Transport):
    """Email "sent" to the local mailbox; an admin reads it there."""

    def __init__(self, path: Path, mail_from: str) -> None:
        self.mailbox = Mailbox(path)
        self.mail_from = mail_from

    def send(self, message: RenderedMessage) -> None:
        self.mailbox.add(to_mime(message, self.mail_from))
