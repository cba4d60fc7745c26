"""The card page: one patient's diagnoses, documents, visits, consultations, signed conclusions and
consents, monitoring plans with their latest values and open alerts, and rehab courses, filtered by kind
and period, each entry linked to its own page. Staff views are journalled (DESIGN, security floor)."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine import roles
from engine.accounts.models import User
from engine.card import entries as card
from engine.documents import service as documents
from engine.documents.models import Document
from engine.monitoring.models import MonitoringPlan
from webui.card.blueprint import bp
from webui.card.shared import file_store, journal_staff_view, patient_for_viewer
from webui.db import db
from webui.security import client_ip

# A period no one means (a typo of the year) is refused rather than searched for.
EARLIEST = date(1900, 1, 1)


def _day(name: str) -> tuple[date | None, bool]:
    """The date in the query string, and whether it was readable (an empty field is readable: no limit)."""
    text = request.args.get(name, "").strip()
    if not text:
        return None, True
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None, False
    return (value, True) if value >= EARLIEST else (None, False)


def _filters() -> tuple[set[str] | None, date | None, date | None, list[str]]:
    problems = []
    kind = request.args.get("kind", "")
    kinds = {kind} if kind in card.KINDS else None
    if kind and kinds is None:
        problems.append(_("There is no such kind of entry; all entries are shown."))
    since, since_ok = _day("since")
    until, until_ok = _day("until")
    if not (since_ok and until_ok):
        problems.append(_("Enter dates as YYYY-MM-DD; the period is not applied."))
        since = until = None
    elif since and until and since > until:
        problems.append(_("The period starts after it ends; the period is not applied."))
        since = until = None
    return kinds, since, until, problems


def _link(entry: card.Entry, patient: User) -> str:
    """The entry's own page, as the viewer reaches it; "" when it has none."""
    own = current_user.id == patient.id
    target, object_id = entry.target, entry.object_id
    if target == card.CONSULTATION:
        return url_for("consultations.detail", consultation_id=object_id)
    if target in (card.CONCLUSION, card.CONSENT):
        return url_for("history.download", document_id=object_id)
    if target == card.DOCUMENT:
        # Listed for the whole care team; opened only by those it was given to (engine.documents).
        if not documents.may_read(db(), entry.row, current_user.id):
            return ""
        return url_for("card.document", patient_id=patient.id, document_id=object_id)
    if target == card.VISIT:
        return url_for("registry.booking.my_tickets") + f"#ticket-{object_id}" if own else ""
    if target == card.REHAB:
        return url_for("rehab.course_page", course_id=object_id)
    if target in (card.MONITORING, card.ALERT):
        if own:
            return url_for("monitoring.home")
        if not current_user.has_role(roles.DOCTOR):
            return ""
        if target == card.MONITORING and isinstance(entry.row, MonitoringPlan) and entry.row.doctor_id == current_user.id:
            return url_for("monitoring.plan_page", plan_id=object_id)
        return url_for("monitoring.patient_page", patient_id=patient.id)
    return ""


def _names(rows: list[card.Entry]) -> dict[int, str]:
    ids = {getattr(e.row, attr) for e in rows for attr in ("doctor_id", "doctor_user_id", "instructor_id")
           if isinstance(getattr(e.row, attr, None), int)}
    return {u.id: u.full_name for u in db().scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def _render(patient: User) -> Any:
    kinds, since, until, problems = _filters()
    for problem in problems:
        flash(problem, "warning")
    rows = card.collect(db(), patient.id, locale=str(get_locale() or "ru"), kinds=kinds, since=since, until=until)
    journal_staff_view(patient, "patient_card_viewed", kinds=sorted(kinds or []),
                       since=since.isoformat() if since else "", until=until.isoformat() if until else "")
    return render_template("card/index.html", patient=patient, own=current_user.id == patient.id, entries=rows,
                           entry_links=[_link(e, patient) for e in rows], names=_names(rows),
                           kinds=card.KINDS, kind=next(iter(kinds)) if kinds else "",
                           since=since.isoformat() if since else "", until=until.isoformat() if until else "")


@bp.route("/")
@login_required
def mine() -> Any:
    return redirect(url_for("card.patient_card", patient_id=current_user.id, **request.args))


@bp.route("/patients/<int:patient_id>")
@login_required
def patient_card(patient_id: int) -> Any:
    return _render(patient_for_viewer(patient_id))


@bp.route("/patients/<int:patient_id>/documents/<int:document_id>")
@login_required
def document(patient_id: int, document_id: int) -> Any:
    """A document of the card. engine.documents.service.read checks the reader (the patient, the uploader,
    or a doctor it was granted to) and journals the view."""
    patient = patient_for_viewer(patient_id)
    found = db().get(Document, document_id)
    if found is None or found.patient_id != patient.id:
        return render_template("errors/error.html", message=_("There is no such document."), code=404), 404
    found, data = documents.read(db(), file_store(found.purpose), document_id, user_id=current_user.id, ip=client_ip())
    db().commit()
    return send_file(BytesIO(data), mimetype=found.content_type, download_name=found.filename, as_attachment=True,
                     max_age=0)
