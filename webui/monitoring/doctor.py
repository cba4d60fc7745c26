"""The doctor's monitoring pages: the list of monitored patients (open alerts first), a patient's page
with charts, adherence, survey answers, comments and files, the files themselves, and the exports.
A doctor reaches only patients they have a plan for (403 otherwise)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine import audit, roles
from engine.accounts.models import User
from engine.clock import now
from engine.documents import service as documents
from engine.monitoring import alerts, export, fhir, history, plans, questionnaires, schedule
from engine.monitoring.models import Answer, AnswerRevision, Questionnaire
from engine.numbers import PATTERN, localized_numbers
from webui.db import db
from webui.monitoring.blueprint import bp
from webui.monitoring.charts import any_beyond, chart_start, chart_svg, threshold_ranges, two_values
from webui.monitoring.shared import file_store
from webui.security import client_ip, confirmed_required, roles_required

PAGE_SIZE = 100
CHART_DAYS = 30


@bp.route("/patients")
@roles_required(roles.DOCTOR)
@confirmed_required
def patient_list() -> Any:
    page = max(request.args.get("page", 1, type=int), 1)
    session = db()
    rows = alerts.monitored_patients(session, current_user.id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = alerts.monitored_count(session, current_user.id)
    return render_template("monitoring/patients.html", rows=rows, page=page, total=total, page_size=PAGE_SIZE)


def _patient(patient_id: int) -> User:
    session = db()
    plans.require_monitors(session, current_user.id, patient_id)
    patient = session.get(User, patient_id)
    if patient is None:
        abort(404)
    return patient


@bp.route("/patients/<int:patient_id>")
@roles_required(roles.DOCTOR)
@confirmed_required
def patient_page(patient_id: int) -> Any:
    patient = _patient(patient_id)
    session = db()
    today = schedule.local_day(now(), patient.timezone)
    since = today - timedelta(days=CHART_DAYS - 1)
    data = history.load(session, patient_id, since=since, until=today, doctor_id=current_user.id)
    mine = plans.plans_of_patient(session, patient_id, current_user.id)
    starts = {plan.id: plan.start_date for plan in mine}
    charts = [(s, chart_svg(s, chart_start(s, since, today, starts.get(s.item.plan_id)), today),
               threshold_ranges(s.item), two_values(s), any_beyond(s)) for s in data.series()]
    # The heading names the days the charts cover: from the first plan's start when that is later.
    shown_since = min(max(since, min(plan.start_date for plan in mine)), today) if mine else since
    return render_template(
        "monitoring/patient.html", patient=patient, data=data, charts=charts, since=shown_since, today=today,
        plans=mine,
        alerts=alerts.alerts_for(session, current_user.id, patient_id),
        revisions=_revisions(session, data),
    )  # fmt: skip


def _revisions(session: Any, data: history.History) -> dict[int, list[tuple[Any, list[str]]]]:
    """Per day, the answers a correction replaced (oldest first), each as "title: value" lines."""
    ids = [q.id for q in data.days]
    if not ids:
        return {}
    found: dict[int, list[tuple[Any, list[str]]]] = {}
    rows = session.scalars(select(AnswerRevision).where(AnswerRevision.questionnaire_id.in_(ids))
                           .order_by(AnswerRevision.id))
    for revision in rows:
        lines = []
        for old in revision.answers:
            item = data.items.get(old["item_id"])
            if item is not None:
                shown = questionnaires.describe(item, Answer(**{k: old.get(k) for k in ("value", "value2", "choice", "taken")}))
                # The unit is a msgid ("mmHg"), shown in the reader's language as the questionnaire does.
                amount = localized_numbers(shown.get("amount"), lambda number: format_decimal(number, PATTERN))
                value = f"{amount} {_(shown['unit'])}" if shown.get("unit") else shown["value"]
                lines.append(f"{_(item.title)}: {value}")
        found.setdefault(revision.questionnaire_id, []).append((revision, lines))
    return found


@bp.route("/patients/<int:patient_id>/days/<int:questionnaire_id>/reviewed", methods=["POST"])
@roles_required(roles.DOCTOR)
@confirmed_required
def day_reviewed(patient_id: int, questionnaire_id: int) -> Any:
    """The doctor looked at a day with no alert to review: the patient can no longer correct it."""
    _patient(patient_id)
    session = db()
    questionnaire = session.get(Questionnaire, questionnaire_id)
    if questionnaire is None or questionnaire.patient_id != patient_id:
        abort(404)
    questionnaires.mark_reviewed(session, questionnaire, current_user.id)
    audit.record(session, "monitoring_day_reviewed", actor_id=current_user.id, subject_id=patient_id, ip=client_ip(),
                 object_type="monitoring_questionnaire", object_id=questionnaire.id)
    session.commit()
    flash(_("The day %(day)s is marked as reviewed.", day=format_date(questionnaire.day, "long")), "success")
    return redirect(url_for("monitoring.patient_page", patient_id=patient_id))


@bp.route("/files/<int:document_id>")
@confirmed_required
def file(document_id: int) -> Any:
    """A file attached to a questionnaire, for the patient and the doctors it was granted to."""
    session = db()
    document, content = documents.read(session, file_store(), document_id, user_id=current_user.id, ip=client_ip())
    session.commit()
    return Response(content, mimetype=document.content_type,
                    headers={"Content-Disposition": f'inline; filename="{document.id}"',
                             "X-Content-Type-Options": "nosniff"})


def _export(patient_id: int, fmt: str) -> tuple[Any, User]:
    patient = _patient(patient_id)
    session = db()
    data = history.load(session, patient_id, doctor_id=current_user.id)
    audit.record(session, "monitoring_exported", actor_id=current_user.id, subject_id=patient_id, ip=client_ip(),
                 object_type="patient", object_id=patient_id, format=fmt)
    session.commit()
    return data, patient


@bp.route("/patients/<int:patient_id>/export.csv")
@roles_required(roles.DOCTOR)
@confirmed_required
def export_csv(patient_id: int) -> Any:
    data, _patient_user = _export(patient_id, "csv")
    return Response(export.to_csv(data), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="monitoring-{patient_id}.csv"'})


@bp.route("/patients/<int:patient_id>/fhir.json")
@roles_required(roles.DOCTOR)
@confirmed_required
def export_fhir(patient_id: int) -> Any:
    data, patient = _export(patient_id, "fhir")
    mine = plans.plans_of_patient(db(), patient_id, current_user.id)
    body = json.dumps(fhir.bundle(patient, data, mine), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/fhir+json",
                    headers={"Content-Disposition": f'attachment; filename="monitoring-{patient_id}.fhir.json"'})
