"""The public self-enrolment form into an exercise-therapy (ЛФК) group, and its review by a manager or
instructor (R-ACC-06): accepting creates the account and sends the "registered" email."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from engine import roles
from engine.accounts.consent import personal_data_consent
from engine.i18n import N_, UserError
from engine.rehab import enrolment
from webui.db import db
from webui.extensions import limiter
from webui.messages import user_message
from webui.rehab.blueprint import enrol_bp as bp
from webui.security import client_ip, roles_required

FIELDS = ("last_name", "first_name", "patronymic", "email", "phone", "birth_date", "comment")


def _birth_date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(N_("Enter a real date of birth.")) from None


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def enrol() -> Any:
    """Public: "Запись в группу занятий ЛФК" behind the login page."""
    consent = personal_data_consent(str(get_locale()))
    form = {name: request.form.get(name, "") for name in FIELDS}
    if request.method == "POST":
        try:
            enrolment.apply(
                db(), last_name=form["last_name"], first_name=form["first_name"], patronymic=form["patronymic"],
                email=form["email"], phone=form["phone"], birth_date=_birth_date(form["birth_date"]),
                comment=form["comment"], locale=str(get_locale()),
                consent=consent if request.form.get("consent") == "y" else None, ip=client_ip())
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return render_template("rehab/enrol.html", form=form, consent=consent), 400
        return render_template("rehab/enrol_done.html", email=form["email"])
    return render_template("rehab/enrol.html", form=form, consent=consent)


@bp.route("/enrolments")
@roles_required(roles.MANAGER, roles.INSTRUCTOR, roles.ADMIN)
def applications() -> Any:
    return render_template("rehab/enrolments.html", applications=enrolment.pending(db()))


@bp.route("/enrolments/<int:application_id>/<any(accept, decline):decision>", methods=["POST"])
@roles_required(roles.MANAGER, roles.INSTRUCTOR, roles.ADMIN)
def decide(application_id: int, decision: str) -> Any:
    try:
        if decision == "accept":
            user = enrolment.accept(db(), current_user_obj(), application_id,
                                    base_url=current_app.extensions["carepath"].settings.base_url, ip=client_ip())
            message = _("%(name)s is registered; the activation email is on its way.", name=user.full_name)
        else:
            enrolment.decline(db(), current_user_obj(), application_id, ip=client_ip())
            message = _("The application is declined.")
        db().commit()
    except UserError as error:
        db().rollback()
        flash(user_message(error), "error")
        return redirect(url_for("rehab_enrol.applications"))
    flash(message, "success")
    return redirect(url_for("rehab_enrol.applications"))


def current_user_obj() -> Any:
    from flask_login import current_user

    return current_user._get_current_object()  # the User row, not Flask-Login's proxy
