"""Email over SMTP, connected through yagmail.

`CAREPATH_SMTP_URL` chooses the connection: `smtp://host:25` (plain, no login when the URL has no user,
as a local relay or the test server), `smtps://user:pass@host:465` (TLS from the start) and
`smtp+starttls://user:pass@host:587` (upgrade after connecting).

yagmail opens, upgrades and logs in the connection; the message itself goes out through the connection's
`sendmail`, because yagmail's own `send` retries with sleeps, swallows a final failure into a list, and
builds the HTML part from the text. The outbox needs the error and does its own retries.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from email import policy
from urllib.parse import unquote, urlsplit

import yagmail

from integrations.base import RenderedMessage, Transport, TransportError, envelope_sender, to_mime

DEFAULT_PORTS = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}
TIMEOUT_SECONDS = 30
SMTP_LINES = policy.compat32.clone(linesep="\r\n")


@dataclass(frozen=True)
class SmtpOptions:
    host: str
    port: int
    user: str | None
    password: str | None
    ssl: bool
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpOptions:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"an SMTP URL looks like smtp://user:password@host:port, not {url!r}")
        return cls(
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            ssl=parts.scheme == "smtps",
            starttls=parts.scheme == "smtp+starttls",
        )


class SmtpTransport(Transport):
    """Sends through one SMTP connection per batch (reconnecting once if the server dropped it)."""

    def __init__(self, url: str, mail_from: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.options = SmtpOptions.from_url(url)
        self.mail_from = mail_from
        self.timeout = timeout
        self._client: yagmail.SMTP | None = None
        # Once the server could not be reached, the rest of the batch fails at once with that error:
        # trying again per message would cost one connect timeout each and hold the batch up.
        self._unreachable: TransportError | None = None

    def open(self) -> None:
        if self._unreachable is not None:
            raise self._unreachable
        if self._client is not None:
            return
        o = self.options
        client = yagmail.SMTP(
            user=o.user or envelope_sender(self.mail_from),
            # Never None: yagmail would then look in the keyring and prompt on the terminal.
            password=o.password or "",
            host=o.host,
            port=o.port,
            smtp_ssl=o.ssl,
            smtp_starttls=o.starttls,
            smtp_skip_login=o.user is None,
            soft_email_validation=False,
            timeout=self.timeout,
        )
        try:
            client.login()
        except smtplib.SMTPAuthenticationError as exc:
            # A configuration problem, not the message's: temporary, so mail goes once it is fixed.
            raise TransportError(f"SMTP login to {o.host} refused: {_reply(exc)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._unreachable = TransportError(
                f"cannot connect to SMTP server {o.host}:{o.port}: {_reason(exc)}"
            )
            raise self._unreachable from exc
        self._client = client

    def close(self) -> None:
        client, self._client, self._unreachable = self._client, None, None
        if client is not None:
            client.close()

    def send(self, message: RenderedMessage) -> None:
        # SMTP needs CRLF line ends; smtplib only fixes them in str messages, not in bytes.
        data = to_mime(message, self.mail_from).as_bytes(policy=SMTP_LINES)
        sender = envelope_sender(message.mail_from or self.mail_from)
        for retry in (False, True):
            self.open()
            assert self._client is not None
            try:
                self._client.smtp.sendmail(sender, [message.to], data)
                return
            except smtplib.SMTPServerDisconnected as exc:
                # Servers close idle or long-used connections; one fresh connection is worth a try.
                self._client = None
                if retry:
                    raise TransportError(f"SMTP server closed the connection: {_reason(exc)}") from exc
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                raise TransportError(
                    f"recipient {message.to} refused: {code} {_text(reply)}", permanent=code >= 500
                ) from exc
            except smtplib.SMTPResponseException as exc:
                # 5xx: the server will never take this message; 4xx: try later.
                raise TransportError(
                    f"SMTP server refused the message: {_reply(exc)}", permanent=exc.smtp_code >= 500
                ) from exc
            except (OSError, smtplib.SMTPException) as exc:
                self.close()
                raise TransportError(f"sending to {self.options.host} failed: {_reason(exc)}") from exc


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or exc.__class__.__name__
