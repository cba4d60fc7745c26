"""YooKassa's HTTP notifications (set the shop's webhook to <site>/payments/webhook/yookassa). No login and
no CSRF token: a notice is believed only from YooKassa's networks, and then only as far as the payment
re-fetched from the API says. A forged notice gets 403 and changes nothing; every other one 200, so that
YooKassa stops repeating it."""

from __future__ import annotations

from typing import Any

from flask import request

from engine.payments.models import YOOKASSA
from integrations.payments.base import PaymentError
from webui.db import db
from webui.extensions import csrf, limiter
from webui.payments.blueprint import bp
from webui.payments.shared import provider
from webui.security import client_ip
from webui.tasks.core import connectors, sessions
from workflows.payments import handle_notice

MAX_BODY = 64 * 1024


@bp.route("/webhook/yookassa", methods=["POST"])
@csrf.exempt
@limiter.limit("120 per minute")
def yookassa_webhook() -> Any:
    if provider().name != YOOKASSA:
        return {"status": "not configured"}, 404
    body = request.get_data(cache=False)[:MAX_BODY]
    db().rollback()
    try:
        result = handle_notice(sessions(), provider(), body, client_ip(), connectors=connectors())
    except PaymentError:
        # YooKassa could not be asked: answer 503 so that it repeats the notice later.
        return {"status": "retry"}, 503
    if result == "forged":
        return {"status": "refused"}, 403
    if result == "retry":
        return {"status": "retry"}, 503  # the pathway was busy: YooKassa repeats the notice later
    return {"status": "ok"}, 200
