"""The public feedback form: anyone may write, after the proof-of-work check and within the rate limit."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, render_template, request, send_from_directory
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from engine.feedback import captcha, service
from engine.i18n import UserError
from engine.registry.models import Institution
from webui.db import db
from webui.extensions import limiter
from webui.feedback.blueprint import bp
from webui.feedback.shared import POST_LIMIT, WIDGET_CSP, WIDGET_DIST, WIDGET_FILE, captcha_secret
from webui.messages import user_message
from webui.security import client_ip


def _form(values: dict[str, Any], error: str = "", status: int = 200) -> Any:
    institutions = db().scalars(select(Institution).where(Institution.active.is_(True)).order_by(Institution.name))
    response = Response(render_template("feedback/form.html", topics=service.TOPICS, institutions=list(institutions),
                                        values=values, error=error, limits=service), status=status)
    response.headers["Content-Security-Policy"] = WIDGET_CSP
    return response


@bp.route("/", methods=["GET"])
def form() -> Any:
    return _form({})


@bp.route("/", methods=["POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def send() -> Any:
    values = {k: request.form.get(k, "") for k in ("topic", "message", "name", "email", "institution_id")}
    try:
        service.submit(db(), values, captcha_payload=request.form.get("altcha", ""), secret=captcha_secret(),
                       locale=str(get_locale() or "ru"), ip=client_ip(),
                       user_id=current_user.id if current_user.is_authenticated else None)
    except UserError as error:
        db().rollback()
        return _form(values, user_message(error), 400)
    db().commit()
    return render_template("feedback/sent.html", email=values["email"].strip())


@bp.route("/challenge")
@limiter.limit("60 per hour")
def challenge() -> Any:
    response = jsonify(captcha.new_challenge(captcha_secret()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/vendor/altcha.js")
def widget() -> Any:
    if not (WIDGET_DIST / WIDGET_FILE).is_file():
        abort(404)
    return send_from_directory(WIDGET_DIST, WIDGET_FILE, mimetype="text/javascript", max_age=86400)


