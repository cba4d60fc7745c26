"""YooKassa (API v3) through the official SDK (`yookassa` on PyPI).

- create: POST /payments with an Idempotence-Key (the same key gives the same payment, so a payer who
  clicks twice or a retry after a timeout never pays twice), `capture: true`, a redirect confirmation
  back to the return URL, and our payment's reference in the metadata;
- fetch: GET /payments/{id}: the only source a status is believed from;
- capture: a payment left `waiting_for_capture` is captured in full (POST /payments/{id}/capture);
- refund: POST /refunds with its own Idempotence-Key;
- notice: a webhook is accepted only from YooKassa's documented networks (the SDK's SecurityHelper list)
  or the extra networks of the settings; its body only names the payment, which is then fetched.

The SDK keeps its configuration in class attributes and sends requests without a timeout; calls here set
the configuration under a lock and go through a client whose requests time out (TIMEOUT in settings), and
every SDK or network failure becomes one PaymentError without the shop's secret in it. The SDK logs
requests (with the Authorization header) only when given a logger: none is given.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal, InvalidOperation
from ipaddress import ip_address, ip_network
from typing import Any

import requests
from yookassa import Configuration, Payment, Refund
from yookassa.client import ApiClient
from yookassa.domain.common import RequestObject
from yookassa.domain.common.security_helper import SecurityHelper

from integrations.payments.base import (
    CHARGE_STATUSES,
    WAITING_FOR_CAPTURE,
    Charge,
    ForgedNotice,
    Notice,
    PaymentError,
    PaymentProvider,
    RefundResult,
)
from integrations.payments.settings import PaymentSettings

_CONFIG_LOCK = threading.Lock()
PAYMENT_EVENTS = ("payment.succeeded", "payment.waiting_for_capture", "payment.canceled")
# 4xx answers that a retry with the same request cannot change.
PERMANENT_HTTP = frozenset({400, 401, 403, 404, 405, 415, 422})


class _TimedClient(ApiClient):
    """The SDK's client with a timeout, and with its errors made ours."""

    request_timeout = 20.0

    def request(self, method: Any = "", path: str = "", query_params: Any = None, headers: Any = None,
                body: Any = None) -> Any:
        if isinstance(body, RequestObject):
            body.validate()
            body = dict(body)
        request_headers = self.prepare_request_headers(headers)
        try:
            response = requests.request(method, self.endpoint + path, params=query_params, headers=request_headers,
                                        json=body, timeout=self.request_timeout, verify=self.configuration.verify
                                        if self.configuration.verify is not None else True)
        except requests.Timeout as exc:
            raise PaymentError("YooKassa did not answer in time") from exc
        except requests.RequestException as exc:
            raise PaymentError(f"YooKassa unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise PaymentError(f"YooKassa answered HTTP {response.status_code}: {_description(response)}",
                               permanent=response.status_code in PERMANENT_HTTP)
        try:
            return response.json()
        except ValueError as exc:
            raise PaymentError("YooKassa answered something that is not JSON") from exc


def _description(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return "no details"
    return str(answer.get("description") or answer.get("code") or "no details")[:200] if isinstance(answer, dict) \
        else "no details"


class _Payment(Payment):
    def __init__(self) -> None:
        self.client = _TimedClient()


class _Refund(Refund):
    def __init__(self) -> None:
        self.client = _TimedClient()


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _charge(answer: Any) -> Charge:
    try:
        status = str(answer.status)
        amount = Decimal(str(answer.amount.value))
        currency = str(answer.amount.currency)
        confirmation = getattr(answer, "confirmation", None)
        url = str(getattr(confirmation, "confirmation_url", "") or "") if confirmation is not None else ""
        metadata = getattr(answer, "metadata", None) or {}
        return Charge(provider_id=str(answer.id), status=status, amount=amount, currency=currency,
                      confirmation_url=url, paid=bool(answer.paid), reference=str(metadata.get("reference", "")))
    except (AttributeError, TypeError, InvalidOperation) as exc:
        raise PaymentError("YooKassa answered a payment without its id, status or amount") from exc


class YooKassaProvider(PaymentProvider):
    name = "yookassa"
    online = True

    def __init__(self, settings: PaymentSettings) -> None:
        self.settings = settings
        self.networks = [ip_network(n, strict=False) for n in settings.webhook_networks]

    def __repr__(self) -> str:
        return f"YooKassaProvider(shop_id={self.settings.shop_id!r}, api_url={self.settings.api_url!r})"

    def _call(self, action: Any) -> Any:
        with _CONFIG_LOCK:
            Configuration.configure(self.settings.shop_id, self.settings.secret_key, api_url=self.settings.api_url)
            _TimedClient.request_timeout = self.settings.timeout
            try:
                return action()
            except PaymentError:
                raise
            except Exception as exc:  # the SDK's own validation errors; never with the secret
                raise PaymentError(f"YooKassa request refused by the SDK: {type(exc).__name__}", permanent=True) from exc

    def create(self, *, amount: Decimal, currency: str, description: str, idempotence_key: str,
               return_url: str, reference: str) -> Charge:
        params = {
            "amount": {"value": _money(amount), "currency": currency},
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": return_url},
            "description": description[:128],
            "metadata": {"reference": reference},
        }
        charge = _charge(self._call(lambda: _Payment.create(params, idempotence_key)))
        if charge.status not in CHARGE_STATUSES:
            raise PaymentError(f"YooKassa answered an unknown status {charge.status!r}")
        return charge

    def fetch(self, provider_id: str) -> Charge:
        return _charge(self._call(lambda: _Payment.find_one(provider_id)))

    def capture(self, charge: Charge, idempotence_key: str) -> Charge:
        if charge.status != WAITING_FOR_CAPTURE:
            return charge
        params = {"amount": {"value": _money(charge.amount), "currency": charge.currency}}
        return _charge(self._call(lambda: _Payment.capture(charge.provider_id, params, idempotence_key)))

    def refund(self, charge_id: str, amount: Decimal, currency: str, idempotence_key: str) -> RefundResult:
        params = {"payment_id": charge_id, "amount": {"value": _money(amount), "currency": currency}}
        answer = self._call(lambda: _Refund.create(params, idempotence_key))
        return RefundResult(provider_id=str(getattr(answer, "id", "")), status=str(getattr(answer, "status", "")))

    def trusted(self, remote_ip: str) -> bool:
        try:
            address = ip_address(remote_ip)
        except ValueError:
            return False
        if any(address in network for network in self.networks):
            return True
        return SecurityHelper().is_ip_trusted(str(address))

    def notice(self, body: bytes, remote_ip: str) -> Notice:
        if not self.trusted(remote_ip):
            raise ForgedNotice(f"a notification from {remote_ip}, outside YooKassa's networks")
        try:
            data = json.loads(body.decode("utf-8"))
            event, provider_id = str(data["event"]), str(data["object"]["id"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise ForgedNotice("a notification that is not YooKassa's JSON") from exc
        if data.get("type") != "notification" or event not in PAYMENT_EVENTS or not provider_id:
            raise ForgedNotice(f"a notification of an unexpected kind: {event!r}")
        return Notice(event=event, provider_id=provider_id)
