"""Payments: one provider per module on one base (base.py), chosen by CAREPATH_PAYMENT_PROVIDER.

- `clinic` (default): the patient pays at the clinic's desk and a manager marks the payment paid;
  nothing leaves the platform.
- `yookassa`: online acquiring through YooKassa's API v3 with the official SDK (yookassa.py).

`provider_for(settings)` builds the configured one; settings.py reads and checks its settings.
"""

from __future__ import annotations

from integrations.payments.base import PaymentProvider
from integrations.payments.settings import CLINIC, YOOKASSA, PaymentSettings, payment_settings


def provider_for(settings: PaymentSettings) -> PaymentProvider:
    if settings.provider == YOOKASSA:
        from integrations.payments.yookassa import YooKassaProvider

        return YooKassaProvider(settings)
    assert settings.provider == CLINIC
    from integrations.payments.clinic import ClinicDesk

    return ClinicDesk()


__all__ = ["PaymentProvider", "PaymentSettings", "payment_settings", "provider_for"]
