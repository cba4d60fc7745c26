"""The managers' list of feedback and the answer form; an answer is kept and mailed to the sender."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import roles
from engine.feedback import service
from engine.feedback.models import STATUSES
from engine.i18n import UserError
from webui.db import db
from webui.feedback.blueprint import bp
from webui.messages import user_message
from webui.security import client_ip, roles_required

MANAGERS = (roles.MANAGER, roles.ADMIN)


@bp.route("/manage")
@roles_required(*MANAGERS)
def inbox() -> Any:
    status = request.args.get("status", "")
    rows = service.listing(db(), status=status if status in STATUSES else None)
    return render_template("feedback/inbox.html", rows=rows, counts=service.counts(db()), status=status,
                           topics=service.TOPICS)


@bp.route("/manage/<int:message_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def message(message_id: int) -> Any:
    row = service.get(db(), message_id)
    error = ""
    if request.method == "POST":
        try:
            service.answer(db(), message_id, request.form.get("answer", ""), manager_id=current_user.id, ip=client_ip())
        except UserError as problem:
            db().rollback()
            error = user_message(problem)
        else:
            db().commit()
            flash(_("The answer is saved and sent to %(email)s.", email=row.email), "success")
            return redirect(url_for("feedback.inbox"))
    return render_template("feedback/message.html", row=row, topics=service.TOPICS, error=error,
                           draft=request.form.get("answer", ""), limit=service.ANSWER_LIMIT), (400 if error else 200)
