"""SMS: an HTTP gateway when `CAREPATH_SMS_GATEWAY_URL` is set, otherwise the local mailbox.

The gateway transport speaks the SMS.ru-style protocol most Russian gateways offer: one HTTPS POST per
message with form fields `api_id` (the token, CAREPATH_SMS_GATEWAY_TOKEN), `to` (digits only),
`msg` and `json=1`; the token also goes as `Authorization: Bearer`, which token-in-header gateways
expect. The answer is JSON:

    {"status": "OK", "sms": {"79123456789": {"status": "OK", "sms_id": "000000-10000000"}}}
    {"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}

A refused number or message (the gateway's per-number ERROR, HTTP 400/403/404) is permanent; a gateway
that is down, slow or answering 5xx is retried by the outbox's backoff. Without a gateway every SMS goes
to the local mailbox (subject "SMS to <number>"), where an admin reads it; nothing pretends to send.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from integrations.base import RenderedMessage, Transport, TransportError, to_mime
from integrations.mailbox import Mailbox

# Longer texts are split by the network and billed per part; templates are checked against this.
MAX_LENGTH = 160
TIMEOUT = 15  # seconds; a gateway slower than this is treated as down, and the message retried
PERMANENT_HTTP = frozenset({400, 401, 403, 404, 413, 422})


class SmsTransport(Transport):
    """Base for SMS channels: `send` gets a message whose `text` is the whole SMS and `to` a number."""

    def send(self, message: RenderedMessage) -> None:
        raise NotImplementedError


def _number(to: str) -> str:
    if not to.lstrip("+").isdigit():
        raise TransportError(f"{to!r} is not a phone number", permanent=True)
    return to.lstrip("+")


class SmsMailboxTransport(SmsTransport):
    def __init__(self, path: Path, mail_from: str) -> None:
        self.mailbox = Mailbox(path)
        self.mail_from = mail_from

    def send(self, message: RenderedMessage) -> None:
        _number(message.to)
        copy = RenderedMessage(
            subject=f"SMS to {message.to}",
            text=message.text,
            html="",
            to=message.to,
            message_id=message.message_id,
        )
        self.mailbox.add(to_mime(copy, self.mail_from))


class HttpSmsGateway(SmsTransport):
    """Sends through an HTTP SMS gateway (see the module docstring for the protocol)."""

    def __init__(self, url: str, token: str | None, *, timeout: float = TIMEOUT) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the SMS gateway URL must start with https:// or http://")
        self.url = url
        self.token = token or ""
        self.timeout = timeout

    def send(self, message: RenderedMessage) -> None:
        number = _number(message.to)
        body = urllib.parse.urlencode(
            {"api_id": self.token, "to": number, "msg": message.text.strip(), "json": "1"}
        ).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - URL from settings
                payload = response.read(65536)
        except urllib.error.HTTPError as exc:
            raise TransportError(f"SMS gateway answered HTTP {exc.code}", permanent=exc.code in PERMANENT_HTTP) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TransportError(f"SMS gateway unreachable: {getattr(exc, 'reason', exc)}") from exc
        self._check(payload, number)

    @staticmethod
    def _check(payload: bytes, number: str) -> None:
        try:
            answer = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise TransportError("SMS gateway answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise TransportError("SMS gateway answered something unexpected")
        if str(answer.get("status", "")).upper() != "OK":
            # A wrong token or an empty balance: nothing a retry in a minute fixes, but an admin can,
            # then "retry now" on the outbox page.
            raise TransportError(f"SMS gateway refused: {answer.get('status_text') or answer}", permanent=True)
        per_number = (answer.get("sms") or {}).get(number)
        if isinstance(per_number, dict) and str(per_number.get("status", "")).upper() != "OK":
            raise TransportError(
                f"SMS gateway refused {number}: {per_number.get('status_text') or per_number}", permanent=True
            )
