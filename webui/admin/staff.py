"""Staff pages: creating accounts, the whole journal, and the local mailbox of the demo set-up."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engine import audit, roles
from engine.accounts import service
from engine.accounts.models import User
from engine.i18n import UserError
from webui.accounts.forms import StaffAccountForm
from webui.admin.blueprint import bp
from webui.db import db
from webui.messages import user_message
from webui.security import client_ip, roles_required

ROLE_LABELS = {
    roles.PATIENT: _l("Patient"),
    roles.DOCTOR: _l("Doctor"),
    roles.INSTRUCTOR: _l("Instructor"),
    roles.MANAGER: _l("Manager"),
    roles.ANALYST: _l("Analyst"),
    roles.ADMIN: _l("Administrator"),
}


@bp.app_context_processor
def role_labels() -> dict[str, Any]:
    return {"ROLE_LABELS": ROLE_LABELS}


@bp.route("/accounts")
@roles_required(*roles.ACCOUNT_CREATORS)
def accounts() -> Any:
    query = select(User).order_by(User.created_at.desc()).limit(200)
    if not current_user.has_role(roles.ADMIN):
        # Doctors and managers see the patient accounts they created, not the whole staff list.
        query = query.where(User.created_by == current_user.id)
    return render_template("admin/accounts.html", users=db().scalars(query).all())


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(*roles.ACCOUNT_CREATORS)
def new_account() -> Any:
    form = StaffAccountForm()
    allowed = roles.ROLES if current_user.has_role(roles.ADMIN) else (roles.PATIENT,)
    form.role.choices = [(r, str(ROLE_LABELS[r])) for r in allowed]
    if form.validate_on_submit():
        data = service.PersonData(
            last_name=form.last_name.data, first_name=form.first_name.data, patronymic=form.patronymic.data or "",
            email=form.email.data, birth_date=form.birth_date.data, phone=form.phone.data or "",
            locale=current_user.locale, roles={form.role.data},
        )
        try:
            user = service.create_account(
                db(), current_user, data, ip=client_ip(),
                base_url=current_app.extensions["carepath"].settings.base_url,
            )
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return render_template("admin/new_account.html", form=form), error.status
        flash(_("The account of %(name)s is created; an activation link has been sent to %(email)s.",
                name=user.full_name, email=user.email), "success")
        return redirect(url_for("admin.accounts"))
    return render_template("admin/new_account.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/journal")
@roles_required(roles.ADMIN)
def journal() -> Any:
    page = request.args.get("page", 1, type=int)
    result = audit.journal(db(), subject_id=None, page=page)
    from webui.admin import journal as readable

    return render_template("cabinet/journal.html", result=result, everyone=True,
                           names=readable.names(db(), result.entries), about=readable.about(db(), result.entries))


@bp.route("/mailbox")
@roles_required(roles.ADMIN)
def mailbox() -> Any:
    from integrations.mailbox import Mailbox

    per_page = 50
    page = max(1, request.args.get("page", 1, type=int))
    box = Mailbox(current_app.extensions["carepath"].settings.mailbox_path)
    messages = box.list_messages(limit=per_page, offset=(page - 1) * per_page)
    return render_template("admin/mailbox.html", messages=messages, page=page, more=len(messages) == per_page)


@bp.route("/mailbox/<message_id>")
@roles_required(roles.ADMIN)
def mailbox_message(message_id: str) -> Any:
    from integrations.mailbox import Mailbox

    box = Mailbox(current_app.extensions["carepath"].settings.mailbox_path)
    message = box.get_message(message_id)
    if message is None:
        abort(404)
    return render_template("admin/mailbox_message.html", message=message)
