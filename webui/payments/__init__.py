"""Paid consultations on the web (engine/payments): the patient's pages (pages.py: offers, the contract,
booking, paying), the desk and the price list for managers (desk.py), and YooKassa's webhook
(webhook.py). The provider is built once per app from the settings (a bad setting stops the start)."""

from __future__ import annotations

from flask import Flask

from engine.payments.models import PAID

PROVIDER_KEY = "carepath.payment_provider"


def register(app: Flask) -> None:
    from integrations.payments import payment_settings, provider_for
    from webui.payments import desk, pages, webhook  # noqa: F401 - their routes join bp
    from webui.payments.blueprint import bp
    from workflows.payments import refund_after_commit

    runtime = app.extensions["carepath"]
    settings = payment_settings(runtime.settings)
    provider = provider_for(settings)
    app.extensions[PROVIDER_KEY] = (settings, provider)
    app.register_blueprint(bp)
    refund_after_commit(runtime.sessions, provider, runtime.settings.base_url)

    @app.template_global("payment_of")
    def payment_of(consultation_id: int) -> object:
        from engine.payments.service import of_consultation
        from webui.db import db

        return of_consultation(db(), consultation_id)

    app.jinja_env.globals["PAYMENT_PAID"] = PAID
