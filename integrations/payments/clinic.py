"""Pay at the clinic: the default provider. The charge exists only in the platform: the patient pays at
the desk, a manager marks the payment paid in the booking's payment page; a refund is money handed back
at the desk, recorded at once."""

from __future__ import annotations

from decimal import Decimal

from integrations.payments.base import PENDING, SUCCEEDED, Charge, PaymentError, PaymentProvider, RefundResult


class ClinicDesk(PaymentProvider):
    name = "clinic"
    online = False

    def create(self, *, amount: Decimal, currency: str, description: str, idempotence_key: str,
               return_url: str, reference: str) -> Charge:
        # The same key gives the same charge id, as an online provider's idempotence does.
        return Charge(provider_id=f"desk-{idempotence_key}", status=PENDING, amount=amount, currency=currency,
                      reference=reference)

    def fetch(self, provider_id: str) -> Charge:
        raise PaymentError("a payment at the clinic's desk has no outside state to fetch", permanent=True)

    def capture(self, charge: Charge, idempotence_key: str) -> Charge:
        return charge

    def refund(self, charge_id: str, amount: Decimal, currency: str, idempotence_key: str) -> RefundResult:
        return RefundResult(provider_id=f"desk-refund-{idempotence_key}", status=SUCCEEDED)
