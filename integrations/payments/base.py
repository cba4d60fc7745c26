"""What every payment provider shares: the charge as the platform sees it, the one error type, the base."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# A charge's state, named as YooKassa names its payment statuses (the clinic desk uses the same words).
PENDING = "pending"
WAITING_FOR_CAPTURE = "waiting_for_capture"
SUCCEEDED = "succeeded"
CANCELED = "canceled"
CHARGE_STATUSES = (PENDING, WAITING_FOR_CAPTURE, SUCCEEDED, CANCELED)


class PaymentError(Exception):
    """A provider call failed. `permanent`: retrying the same call cannot help (refused, bad request)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class ForgedNotice(PaymentError):
    """A webhook that does not come from the provider (address outside its allow-list, unknown body)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Charge:
    """A payment at the provider: its id there, state, amount, and where the payer confirms it."""

    provider_id: str
    status: str
    amount: Decimal
    currency: str = "RUB"
    confirmation_url: str = ""
    paid: bool = False
    # Our payment's id, as we sent it in the metadata: a notice names which payment it is about.
    reference: str = ""


@dataclass(frozen=True)
class RefundResult:
    provider_id: str
    status: str  # "succeeded", "pending" or "canceled"


@dataclass(frozen=True)
class Notice:
    """A webhook notification, checked for its origin; its content is re-fetched before it is believed."""

    event: str
    provider_id: str


class PaymentProvider:
    """One way to take money. `online` providers redirect the payer and send webhooks; the clinic desk does
    neither (a manager records the payment)."""

    name = ""
    online = False

    def create(self, *, amount: Decimal, currency: str, description: str, idempotence_key: str,
               return_url: str, reference: str) -> Charge:
        raise NotImplementedError

    def fetch(self, provider_id: str) -> Charge:
        raise NotImplementedError

    def capture(self, charge: Charge, idempotence_key: str) -> Charge:
        raise NotImplementedError

    def refund(self, charge_id: str, amount: Decimal, currency: str, idempotence_key: str) -> RefundResult:
        raise NotImplementedError

    def notice(self, body: bytes, remote_ip: str) -> Notice:
        """A webhook's notice, if it comes from the provider; else ForgedNotice."""
        raise ForgedNotice(f"{self.name} sends no notifications")
