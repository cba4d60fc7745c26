"""The admin's outbox page: every queued, sent and failed message with its attempts and their errors,
and "retry now" for a message that failed for good or waits for its next attempt."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from engine import audit, outbox, roles
from webui.admin.blueprint import outbox_bp as bp
from webui.db import db
from webui.security import client_ip, roles_required

PER_PAGE = 50


class RetryForm(FlaskForm):
    pass


@bp.route("/")
@roles_required(roles.ADMIN)
def index() -> Any:
    status = request.args.get("status", "")
    statuses = (status,) if status in outbox.STATUSES else outbox.STATUSES
    page = max(1, request.args.get("page", 1, type=int))
    query = select(outbox.OutboxMessage).where(outbox.OutboxMessage.status.in_(statuses))
    messages = db().scalars(query.order_by(outbox.OutboxMessage.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    totals = dict(db().execute(
        select(outbox.OutboxMessage.status, func.count()).group_by(outbox.OutboxMessage.status)
    ).all())  # fmt: skip
    return render_template("outbox_admin/index.html", messages=messages, status=status, totals=totals,
                           statuses=outbox.STATUSES, page=page, more=len(messages) == PER_PAGE, form=RetryForm())  # fmt: skip


@bp.route("/<int:message_id>")
@roles_required(roles.ADMIN)
def message(message_id: int) -> Any:
    row = db().get(outbox.OutboxMessage, message_id)
    if row is None:
        abort(404)
    return render_template("outbox_admin/message.html", message=row, form=RetryForm())


@bp.route("/<int:message_id>/retry", methods=["POST"])
@roles_required(roles.ADMIN)
def retry(message_id: int) -> Any:
    if not RetryForm().validate_on_submit():
        abort(400)
    try:
        row = outbox.retry_now(db(), message_id)
    except LookupError:
        abort(404)
    if row.status != outbox.QUEUED:
        db().rollback()
        flash(_("This message has been sent already; there is nothing to retry."), "warning")
        return redirect(url_for("outbox_admin.message", message_id=message_id))
    audit.record(db(), "outbox_retried", actor_id=current_user.id, ip=client_ip(), object_type="outbox_message",
                 object_id=message_id, kind=row.kind)
    db().info[outbox.ENQUEUED_FLAG] = True  # wake the deliverer after the commit, as for new mail
    db().commit()
    flash(_("The message will be sent again within a few seconds."), "success")
    return redirect(url_for("outbox_admin.message", message_id=message_id))
