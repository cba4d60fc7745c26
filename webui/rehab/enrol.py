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
from engine.rehab import courses, enrolment, groups
from webui.db import db, session_factory
from webui.extensions import limiter
from webui.messages import user_message
from webui.rehab.blueprint import enrol_bp as bp
from webui.security import client_ip, roles_required
from webui.tasks.core import connectors

FIELDS = ("last_name", "first_name", "patronymic", "email", "phone", "birth_date", "comment")


def _birth_date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(N_("Enter a real date of birth.")) from None


def _patient() -> Any:
    """The logged-in patient applying from their account, or None for a visitor."""
    from flask_login import current_user

    if current_user.is_authenticated and current_user.has_role(roles.PATIENT):
        return current_user_obj()
    return None


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def enrol() -> Any:
    """"Запись в группу занятий ЛФК": public behind the login page, and for a logged-in patient from
    their account (prefilled, no second account); both choose from the groups one can join."""
    consent = personal_data_consent(str(get_locale()))
    patient = _patient()
    form = {name: request.form.get(name, "") for name in FIELDS + ("group",)}
    if request.method == "GET":
        form.update(phone=patient.phone or "" if patient else "", group=request.args.get("group", ""))
    context = {"consent": consent, "patient": patient, "groups": groups.open_groups(db()),
               "needs_consent": patient is None or not enrolment.has_consent(db(), patient)}
    if request.method == "POST":
        try:
            enrolment.apply(
                db(), last_name=form["last_name"], first_name=form["first_name"], patronymic=form["patronymic"],
                email=form["email"], phone=form["phone"], birth_date=_birth_date(form["birth_date"]),
                comment=form["comment"], locale=str(get_locale()),
                consent=consent if request.form.get("consent") == "y" else None, ip=client_ip(),
                user=patient, group_key=form["group"])
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return render_template("rehab/enrol.html", form=form, **context), 400
        return render_template("rehab/enrol_done.html", email=patient.email if patient else form["email"],
                               patient=patient)
    return render_template("rehab/enrol.html", form=form, **context)


@bp.route("/enrolments")
@roles_required(roles.MANAGER, roles.INSTRUCTOR, roles.ADMIN)
def applications() -> Any:
    return render_template("rehab/enrolments.html", applications=enrolment.pending(db()))


@bp.route("/enrolments/<int:application_id>/<any(accept, decline):decision>", methods=["POST"])
@roles_required(roles.MANAGER, roles.INSTRUCTOR, roles.ADMIN)
def decide(application_id: int, decision: str) -> Any:
    try:
        woken: list[int] = []
        if decision == "accept":
            accepted = enrolment.accept(db(), current_user_obj(), application_id,
                                        base_url=current_app.extensions["carepath"].settings.base_url, ip=client_ip())
            if accepted.created:
                message = _("%(name)s: the account is created; the activation email is on its way.", name=accepted.user.full_name)
            elif accepted.course_ids:
                message = _("%(name)s: the enrolment in the group's classes is done.", name=accepted.user.full_name)
            else:
                message = _("%(name)s is accepted; they have no course with the group's instructor yet, so add "
                            "them to the classes once their doctor attaches an instructor.", name=accepted.user.full_name)
            woken = accepted.course_ids
        else:
            enrolment.decline(db(), current_user_obj(), application_id, ip=client_ip())
            message = _("The application is declined.")
        db().commit()
        if woken:  # the new seats' reminders: the courses look for their next class again
            courses.wake_courses(session_factory(), woken, connectors())
    except UserError as error:
        db().rollback()
        flash(user_message(error), "error")
        return redirect(url_for("rehab_enrol.applications"))
    flash(message, "success")
    return redirect(url_for("rehab_enrol.applications"))


def current_user_obj() -> Any:
    from flask_login import current_user

    return current_user._get_current_object()  # the User row, not Flask-Login's proxy
