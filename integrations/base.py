"""What every channel shares: the rendered message, the one error type, and the transport base."""

from __future__ import annotations

from dataclasses import dataclass
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from types import TracebackType

from engine import clock


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    to: str
    # Set by the courier from the outbox row, so a message sent twice (crash between send and commit)
    # carries the same Message-ID and mail clients show it once.
    message_id: str | None = None
    # A relayed conversation message goes out as the conversation's relay address (From, Reply-To and the
    # envelope sender), so the reader never learns the writer's own address; None means the platform's.
    mail_from: str | None = None
    reply_to: str | None = None
    # Files sent with the email (a signed conclusion); read by the courier at delivery time.
    attachments: tuple[Attachment, ...] = ()


class TransportError(Exception):
    """A send failed. `permanent` means retrying cannot help (bad address, message refused)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Transport:
    """One channel. Used as a context manager around a batch, so a channel can keep a connection open
    between messages; `send` must also work without it (one connection per message)."""

    def open(self) -> None:
        """Connect, if the channel has a connection. Errors are TransportError."""

    def close(self) -> None:
        """Release the connection; never raises."""

    def send(self, message: RenderedMessage) -> None:
        raise NotImplementedError

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def to_mime(message: RenderedMessage, mail_from: str) -> Message:
    """A multipart/alternative email: the text part first, so text-only clients show it, then HTML.

    Built with the compat32 classes on purpose: the newer EmailMessage folds a long non-ASCII subject
    between encoded words and so loses the space there ("на сервисе" arrives as "насервисе").
    """
    body = MIMEMultipart("alternative")
    # With attachments the message is multipart/mixed: the text/HTML alternatives first, then the files.
    mime = MIMEMultipart("mixed") if message.attachments else body
    mime["From"] = formataddr(parseaddr(message.mail_from or mail_from), charset="utf-8")
    mime["To"] = message.to
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    mime["Subject"] = Header(message.subject, "utf-8") if not message.subject.isascii() else message.subject
    mime["Date"] = format_datetime(clock.now())
    if message.message_id:
        mime["Message-ID"] = message.message_id
    # UTF-8 (base64) even for ASCII: 7bit would send a long line, such as a long link, unwrapped, and
    # SMTP refuses lines over 998 characters.
    body.attach(MIMEText(message.text, "plain", "utf-8"))
    if message.html:
        body.attach(MIMEText(message.html, "html", "utf-8"))
    if message.attachments:
        mime.attach(body)
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            # A text attachment (an .ics) is UTF-8: say so, or readers decode its Cyrillic as ASCII.
            part = MIMEBase(maintype, subtype or "octet-stream", **({"charset": "utf-8"} if maintype == "text" else {}))
            part.set_payload(attachment.data)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            mime.attach(part)
    return mime


def envelope_sender(mail_from: str) -> str:
    """The bare address of "Name <addr>", for SMTP's MAIL FROM."""
    return parseaddr(mail_from)[1]
