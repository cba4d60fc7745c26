"""The personal cabinet: home, profile, own journal."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import audit, roles
from engine.accounts import second_factor, service
from engine.accounts.models import UNCONFIRMED
from engine.i18n import UserError
from webui.accounts.blueprint import cabinet_bp as bp
from webui.accounts.forms import ChangePasswordForm, CodeForm, ProfileForm
from webui.db import db, writes_at_once
from webui.messages import user_message
from webui.security import client_ip

HOME_TASKS = 5


@bp.route("/")
@login_required
def home() -> Any:
    unconfirmed = current_user.status == UNCONFIRMED
    waiting, total, titles, own_pathways = [], 0, {}, []
    if not unconfirmed:  # tasks open only to confirmed accounts (confirmed_required)
        from engine.workflow import inbox, inbox_counts
        from webui.tasks import pathways
        from webui.tasks.core import actor_for, pathway_titles

        actor = actor_for(current_user)
        waiting = inbox(db(), actor, limit=HOME_TASKS)
        total = sum(inbox_counts(db(), actor).values())
        titles = pathway_titles(db(), [item.process_model_id for item in waiting])
        if current_user.has_role(roles.PATIENT):
            # What a patient may start themself; staff start pathways for patients from their own pages.
            own_pathways = [p for p in pathways.startable(db(), current_user) if p.self_service]
    return render_template("cabinet/home.html", unconfirmed=unconfirmed, waiting=waiting, waiting_total=total,
                           titles=titles, own_pathways=own_pathways)


@bp.route("/confirmation", methods=["POST"])
@writes_at_once
@login_required
def resend_confirmation() -> Any:
    service.resend_confirmation(db(), current_user, base_url=current_app.extensions["carepath"].settings.base_url)
    db().commit()
    flash(_("We have sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("cabinet.home"))


@bp.route("/profile", methods=["GET", "POST"])
@writes_at_once
@login_required
def profile() -> Any:
    form = ProfileForm(obj=current_user, prefix="profile")
    password_form = ChangePasswordForm(prefix="password")
    if request.method == "POST" and "profile-submit" in request.form and form.validate():
        changes = {name: getattr(form, name).data for name in (*service.PROFILE_FIELDS, "email")}
        try:
            changed = service.update_profile(
                db(), current_user, changes, ip=client_ip(),
                base_url=current_app.extensions["carepath"].settings.base_url,
            )
            requested_email = (form.email.data or "").strip().lower() != current_user.email.lower()
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return _profile_page(form, password_form), 400
        if "locale" in changed:
            session.pop("lang", None)
        if requested_email:
            flash(_("We have sent a link to %(email)s. The new address takes effect once you open it.",
                    email=form.email.data), "info")
        flash(_("Profile saved."), "success")
        return redirect(url_for("cabinet.profile"))
    if request.method == "POST" and "password-submit" in request.form and password_form.validate():
        try:
            service.change_password(db(), current_user, password_form.current.data, password_form.password.data,
                                    ip=client_ip())
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return _profile_page(form, password_form), 400
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("cabinet.profile"))
    if request.method == "POST":
        db().rollback()
        return _profile_page(form, password_form), 400
    form.email.data = current_user.email
    return _profile_page(form, password_form)


def _sms_gateway() -> bool:
    return bool(current_app.extensions["carepath"].settings.sms_gateway_url)


def _profile_page(form: ProfileForm, password_form: ChangePasswordForm) -> Any:
    return render_template("cabinet/profile.html", form=form, password_form=password_form,
                           phone_confirmable=_sms_gateway() and bool(current_user.phone))  # fmt: skip


@bp.route("/phone", methods=["POST"])
@writes_at_once
@login_required
def send_phone_code() -> Any:
    """The profile's "confirm by SMS": a code to the number, then the page to type it."""
    if not _sms_gateway():
        abort(404)
    try:
        sent_to = second_factor.start_phone_confirmation(db(), current_user)
        db().commit()
    except UserError as error:
        db().rollback()
        flash(user_message(error), "error")
        return redirect(url_for("cabinet.profile"))
    session["phone_code_sent_to"] = sent_to
    return redirect(url_for("cabinet.confirm_phone"))


@bp.route("/phone/code", methods=["GET", "POST"])
@writes_at_once
@login_required
def confirm_phone() -> Any:
    form = CodeForm()
    if form.validate_on_submit():
        try:
            second_factor.confirm_phone(db(), current_user, form.code.data, ip=client_ip())
            db().commit()
        except UserError as error:
            db().commit()  # the counted attempt must stick
            flash(user_message(error), "error")
            return render_template("cabinet/phone_code.html", form=form, sent_to=session.get("phone_code_sent_to"))
        session.pop("phone_code_sent_to", None)
        flash(_("Your mobile phone is confirmed."), "success")
        return redirect(url_for("cabinet.profile"))
    return render_template("cabinet/phone_code.html", form=form, sent_to=session.get("phone_code_sent_to"))


@bp.route("/journal")
@login_required
def journal() -> Any:
    page = request.args.get("page", 1, type=int)
    result = audit.journal(db(), subject_id=current_user.id, page=page)
    return render_template("cabinet/journal.html", result=result, everyone=False)
