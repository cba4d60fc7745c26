"""What the payments pages share: the provider and its settings of this app."""

from __future__ import annotations

from flask import current_app

from integrations.payments import PaymentProvider, PaymentSettings


def provider() -> PaymentProvider:
    from webui.payments import PROVIDER_KEY

    return current_app.extensions[PROVIDER_KEY][1]


def payment_settings() -> PaymentSettings:
    from webui.payments import PROVIDER_KEY

    return current_app.extensions[PROVIDER_KEY][0]
