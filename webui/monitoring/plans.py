"""The doctor builds a monitoring plan for a patient: from a template or from scratch, item by item
(measurements with valid range and alert thresholds, medications, survey questions), each at a time
of day and with a period; a plan can be kept as a template for other patients."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import roles
from engine.accounts import service as accounts
from engine.i18n import N_, UserError
from engine.monitoring import catalog, plans
from engine.monitoring.models import ANSWER_TYPES, KINDS, PERIODS, TIMES_OF_DAY
from webui.db import db
from webui.messages import user_message
from webui.monitoring.blueprint import bp
from webui.security import client_ip, confirmed_required, roles_required

WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
CHOICES = {
    "kinds": {"measurement": N_("Measurement"), "medication": N_("Medication"), "question": N_("Survey question")},
    "times": {"morning": N_("Morning"), "midday": N_("Midday"), "evening": N_("Evening"), "day": N_("Whole day")},
    "periods": {"daily": N_("Every day"), "every_n": N_("Every N days"), "weekdays": N_("On given weekdays")},
    "answer_types": {"options": N_("Choice of options"), "slider": N_("Intensity slider 0–10")},
}
assert set(CHOICES["kinds"]) == set(KINDS) and set(CHOICES["times"]) == set(TIMES_OF_DAY)
assert set(CHOICES["periods"]) == set(PERIODS) and set(CHOICES["answer_types"]) == set(ANSWER_TYPES)


def _date(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UserError(N_("%(value)s is not a date."), value=raw) from None


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required(roles.DOCTOR)
@confirmed_required
def new_plan() -> Any:
    session = db()
    templates = plans.templates_for(session, current_user.id)
    if request.method == "POST":
        try:
            patient = accounts.find_by_email(session, (request.form.get("patient_email") or "").strip())
            items: list[dict[str, Any]] = []
            template_id = request.form.get("template", type=int)
            if template_id:
                items = list(plans.get_template(session, template_id, current_user.id).items)
            plan = plans.create_plan(
                session, current_user, patient, title=request.form.get("title", ""), start_date=_date("start_date"),
                end_date=_date("end_date"), invite_time=request.form.get("invite_time") or plans.DEFAULT_INVITE_TIME,
                items=items, ip=client_ip(),
            )  # fmt: skip
            session.commit()
        except UserError as error:
            session.rollback()
            flash(user_message(error), "error")
            return render_template("monitoring/new_plan.html", templates=templates, form=request.form), error.status
        flash(_("The plan has been created. Add what the patient should report."), "success")
        return redirect(url_for("monitoring.plan_page", plan_id=plan.id))
    return render_template("monitoring/new_plan.html", templates=templates,
                           form={"patient_email": request.args.get("patient_email", ""),
                                 "invite_time": plans.DEFAULT_INVITE_TIME})


@bp.route("/plans/<int:plan_id>")
@roles_required(roles.DOCTOR)
@confirmed_required
def plan_page(plan_id: int) -> Any:
    plan = plans.get_plan(db(), plan_id, current_user.id)
    return _render_plan(plan, {})


def _render_plan(plan: Any, form: Any, status: int = 200) -> Any:
    from engine.accounts.models import User

    return render_template("monitoring/plan.html", plan=plan, patient=db().get(User, plan.patient_id), form=form,
                           measures=catalog.MEASURES, choices=CHOICES, weekday_names=WEEKDAY_NAMES), status


@bp.route("/plans/<int:plan_id>/items", methods=["POST"])
@roles_required(roles.DOCTOR)
@confirmed_required
def add_item(plan_id: int) -> Any:
    session = db()
    plan = plans.get_plan(session, plan_id, current_user.id)
    fields: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    fields["weekdays"] = request.form.getlist("weekdays")
    try:
        item = plans.add_item(session, plan, fields, actor_id=current_user.id, ip=client_ip())
        session.commit()
    except UserError as error:
        session.rollback()
        flash(user_message(error), "error")
        return _render_plan(plans.get_plan(session, plan_id, current_user.id), request.form, error.status)
    flash(_("Added: %(title)s.", title=_(item.title)), "success")
    return redirect(url_for("monitoring.plan_page", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/items/<int:item_id>/delete", methods=["POST"])
@roles_required(roles.DOCTOR)
@confirmed_required
def remove_item(plan_id: int, item_id: int) -> Any:
    session = db()
    plans.remove_item(session, plans.get_plan(session, plan_id, current_user.id), item_id,
                      actor_id=current_user.id, ip=client_ip())
    session.commit()
    return redirect(url_for("monitoring.plan_page", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/invite-time", methods=["POST"])
@roles_required(roles.DOCTOR)
@confirmed_required
def change_invite_time(plan_id: int) -> Any:
    session = db()
    plan = plans.get_plan(session, plan_id, current_user.id)
    try:
        plans.change_invite_time(session, plan, request.form.get("invite_time", ""), actor_id=current_user.id,
                                 ip=client_ip())
        session.commit()
    except UserError as error:
        session.rollback()
        flash(user_message(error), "error")
        return _render_plan(plans.get_plan(session, plan_id, current_user.id), request.form, error.status)
    flash(_("The evening invitation now comes at %(time)s.", time=plan.invite_time), "success")
    return redirect(url_for("monitoring.plan_page", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/end", methods=["POST"])
@roles_required(roles.DOCTOR)
@confirmed_required
def end_plan(plan_id: int) -> Any:
    session = db()
    plan = plans.get_plan(session, plan_id, current_user.id)
    plans.end_plan(session, plan, actor_id=current_user.id, ip=client_ip())
    session.commit()
    flash(_("The plan has ended; the patient is no longer asked for it."), "info")
    return redirect(url_for("monitoring.patient_page", patient_id=plan.patient_id))


@bp.route("/plans/<int:plan_id>/template", methods=["POST"])
@roles_required(roles.DOCTOR)
@confirmed_required
def save_template(plan_id: int) -> Any:
    session = db()
    plan = plans.get_plan(session, plan_id, current_user.id)
    try:
        plans.save_template(session, current_user.id, request.form.get("template_title", ""), plan)
        session.commit()
    except UserError as error:
        session.rollback()
        flash(user_message(error), "error")
        return redirect(url_for("monitoring.plan_page", plan_id=plan_id))
    flash(_("Saved as a template."), "success")
    return redirect(url_for("monitoring.plan_page", plan_id=plan_id))
