"""Remote monitoring pages. The patient: their days and the questionnaire page (/monitoring/days/<date>)
that the evening invitation's button opens. The doctor's pages live in doctor.py (list,
patient page with charts, exports) and plans.py (building plans); all on one blueprint (blueprint.py).

The questionnaire has a page of its own rather than the generic task page: its form is generated from
the doctors' plans for that day (sections, sliders that start at "normal", files), and it completes the
day's `answer` user task through the engine with the checked answers (engine.monitoring.answering).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine import audit, roles
from engine.clock import now
from engine.documents import service as documents
from engine.i18n import N_, Conflict, UserError
from engine.monitoring import answering, questionnaires, schedule
from engine.monitoring.models import ANSWERED, MEASUREMENT, MEDICATION, SENT, SLIDER_MAX, Questionnaire
from forms.authored import authored
from webui.db import db
from webui.messages import user_message
from webui.monitoring.blueprint import bp
from webui.monitoring.shared import file_store, settings
from webui.security import client_ip, confirmed_required, roles_required
from webui.tasks.core import actor_for, connectors, sessions

RECENT_DAYS = 14


@bp.route("/")
@confirmed_required
def home() -> Any:
    if current_user.has_role(roles.DOCTOR) and not current_user.has_role(roles.PATIENT):
        return redirect(url_for("monitoring.patient_list"))
    session = db()
    today = schedule.local_day(now(), current_user.timezone)
    recent = list(session.scalars(
        select(Questionnaire)
        .where(Questionnaire.patient_id == current_user.id, Questionnaire.day >= today - timedelta(days=RECENT_DAYS))
        .order_by(Questionnaire.day.desc())
    ))  # fmt: skip
    due_today = bool(schedule.due_for_patient(session, current_user.id, today))
    return render_template("monitoring/home.html", recent=recent, today=today, due_today=due_today,
                           plans=schedule.active_plans(session, current_user.id, today))


def _payload(form: MultiDict[str, str], items: list[Any]) -> dict[str, Any]:
    answers: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.kind == MEASUREMENT:
            answers[str(item.id)] = {"value": form.get(f"m{item.id}", ""), "value2": form.get(f"m{item.id}_2", "")}
        elif item.kind == MEDICATION:
            raw = form.get(f"med{item.id}", "")
            answers[str(item.id)] = {"taken": {"yes": True, "no": False}.get(raw)}
        else:
            answers[str(item.id)] = {"choice": form.get(f"q{item.id}", "0")}
    return {"answers": answers, "comment": form.get("comment", "")}


def _correctable(q: Questionnaire) -> bool:
    return q.status == ANSWERED and q.reviewed_at is None


def _sent_values(q: Questionnaire, items: list[Any]) -> MultiDict[str, str]:
    """The form filled with the answers sent, for correcting them."""
    answers = {a.item_id: a for a in q.answers}
    values: MultiDict[str, str] = MultiDict({"comment": q.comment or ""})
    for item in items:
        a = answers.get(item.id)
        if a is None:
            continue
        if item.kind == MEASUREMENT:
            # As the reader writes it («71,6»; the form reads a comma or a point), without a thousands space.
            values[f"m{item.id}"] = format_decimal(a.value, "0.###") if a.value is not None else ""
            values[f"m{item.id}_2"] = format_decimal(a.value2, "0.###") if a.value2 is not None else ""
        elif item.kind == MEDICATION:
            values[f"med{item.id}"] = "" if a.taken is None else ("yes" if a.taken else "no")
        else:
            values[f"q{item.id}"] = str(a.choice or 0)
    return values


def _render_day(q: Questionnaire, items: list[Any], values: MultiDict[str, str] | None, status: int = 200) -> Any:
    sections, survey = questionnaires.sections(items)
    answers = {a.item_id: a for a in q.answers}
    correcting = _correctable(q)
    if values is None and correcting:
        values = _sent_values(q, items)
    return render_template("monitoring/day.html", q=q, sections=sections, survey=survey, answers=answers,
                           values=values or MultiDict(), editable=q.status == SENT or correcting,
                           correcting=correcting, slider_max=SLIDER_MAX, files=q.files and documents_of(q)), status


def documents_of(q: Questionnaire) -> list[Any]:
    from engine.documents.models import Document

    return [db().get(Document, f.document_id) for f in q.files]


@bp.route("/days/<day>", methods=["GET", "POST"])
@roles_required(roles.PATIENT)
@confirmed_required
def day_page(day: str) -> Any:
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        abort(404)
    # Today's questionnaire may be opened before the evening (R-MON-07); other days only if they exist.
    q = answering.open_from_cabinet(sessions(), current_user.id, current_user.timezone, wanted,
                                    base_url=settings().base_url, connectors=connectors())
    session = db()
    session.rollback()  # the day may have been opened in the engine's own transaction just now
    q = session.get(Questionnaire, q.id)
    items = questionnaires.items_of(session, q)
    if request.method == "GET":
        return _render_day(q, items, None)
    correcting = q.status == ANSWERED
    if q.status != SENT and not correcting:
        raise Conflict(N_("This questionnaire was already sent and can no longer be changed."))
    payload = _payload(request.form, items)
    try:
        questionnaires.check_answers(items, payload["answers"])  # before any file is stored
        uploads = [f for f in request.files.getlist("files") if f and f.filename]
        if len(uploads) > questionnaires.MAX_FILES:
            raise UserError(N_("Attach at most %(max)s files."), max=questionnaires.MAX_FILES)
        stored = [documents.upload(session, file_store(), patient_id=current_user.id, uploader_id=current_user.id,
                                   filename=f.filename or "file", data=f.read(), ip=client_ip(), purpose="monitoring")
                  for f in uploads]  # fmt: skip
        payload["document_ids"] = [d.id for d in stored]
        session.commit()
        if correcting:  # until the doctor has reviewed the day (the engine checks it again)
            answering.correct(sessions(), actor_for(current_user), q.id, payload, connectors=connectors(),
                              base_url=settings().base_url)
        else:
            answering.send(sessions(), actor_for(current_user), q.id, payload, connectors=connectors(),
                           base_url=settings().base_url)
    except UserError as error:
        session.rollback()
        # An item's title is the doctor's text or a catalog msgid ("Blood pressure"): in the reader's words too.
        if "title" in error.params:
            error.params = {**error.params, "title": str(authored(error.params["title"]))}
        flash(user_message(error), "error")
        q = session.get(Questionnaire, q.id)
        return _render_day(q, items, request.form, error.status)
    session.rollback()
    audit.record(session, "monitoring_data_corrected" if correcting else "monitoring_data_sent",
                 actor_id=current_user.id, subject_id=current_user.id, ip=client_ip(),
                 object_type="monitoring_questionnaire", object_id=q.id, day=wanted.isoformat())
    session.commit()
    if correcting:
        flash(_("Your corrected data for %(day)s has been sent to your doctor.", day=format_date(wanted, "long")), "success")
    else:
        flash(_("Thank you! Your data for %(day)s has been sent to your doctor.", day=format_date(wanted, "long")), "success")
    return redirect(url_for("monitoring.home"))
