"""The "Consultations" section: upcoming and past consultations, each page with its countdown, the join
button (live only in the window), cancellation with a reason, documents and the doctor's files.
Starting a consultation (apply to a center, book a duty doctor) and the documents page are in
webui/consultations/start.py. Every id is checked against who asks (engine.consultations.service)."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.consultations import centers, service
from engine.consultations.models import CANCELLED, PAID, SCHEDULED, Consultation
from engine.documents import service as documents
from engine.i18n import UserError
from engine.join_window import join_window
from engine.payments import service as payments
from integrations.calendar import appointment_ics
from webui.consultations.blueprint import bp
from webui.consultations.shared import limits, store
from webui.db import db
from webui.messages import user_message
from webui.security import client_ip, confirmed_required
from webui.tasks.core import connectors, sessions
from webui.timedisplay import reader


def doctor_slots(task_data: Any) -> list[tuple[Any, Any]]:
    # A review waiting in a queue (doctor_group, no doctor_id yet) offers the reading doctor's own times:
    # whoever completes it becomes the consultation's doctor.
    doctor_id = task_data.get("doctor_id") or (current_user.id if task_data.get("doctor_group") else None)
    return centers.doctor_slot_choices(db(), int(doctor_id), *reader()) if doctor_id else []


def documents_uploaded(task_data: Any, ticked: Any) -> Any:
    """The upload task's "I have uploaded all my documents": refused while there is nothing to send (a
    draft on the documents page, or a document already sent with this consultation)."""
    from sqlalchemy import select

    from engine.documents.models import DRAFT, WITHDRAWN, Document

    consultation = db().get(Consultation, int(task_data.get("consultation_id") or 0))
    if not ticked or consultation is None:
        return None
    mine = (Document.status == DRAFT) | (Document.reference == consultation.reference)
    found = db().scalar(select(Document.id).where(
        Document.patient_id == consultation.patient_id, Document.status != WITHDRAWN, mine).limit(1))
    if found is None:
        return _l("You have not uploaded any documents yet. Upload them on your documents page first.")
    return None


def patient_consultation_page(task_data: Any, user: Any) -> str | None:
    """After a patient's task of a consultation (the consent, the documents), its page, where the patient
    sees what happens next, not an empty "My tasks". Staff go on to their inbox."""
    try:
        consultation_id = int(task_data.get("consultation_id") or 0)
    except (TypeError, ValueError):
        return None
    consultation = db().get(Consultation, consultation_id) if consultation_id else None
    if consultation is None or consultation.patient_id != user.id:
        return None
    return url_for("consultations.detail", consultation_id=consultation.id)


def window_state(consultation: Consultation) -> str:
    if consultation.status != SCHEDULED or consultation.starts_at is None or consultation.ends_at is None:
        return "none"
    if consultation.route == PAID and not payments.is_paid(db(), consultation.id):
        return "unpaid"  # the join button stays locked until paid (engine.payments)
    return join_window(consultation.starts_at, consultation.ends_at).state()


@bp.route("/")
@confirmed_required
def index() -> Any:
    upcoming, past = service.for_user(db(), current_user.id)
    return render_template("consultations/list.html", upcoming=upcoming, past=past, window_state=window_state,
                           names=_names([*upcoming, *past]))


def _names(rows: list[Consultation]) -> dict[int, str]:
    from sqlalchemy import select

    from engine.accounts.models import User

    ids = {i for c in rows for i in (c.patient_id, c.doctor_user_id) if i}
    return {u.id: u.full_name for u in db().scalars(select(User).where(User.id.in_(ids)))} if ids else {}


@bp.route("/<int:consultation_id>")
@confirmed_required
def detail(consultation_id: int) -> Any:
    consultation = service.get_for(db(), current_user.id, consultation_id)
    return render_template("consultations/detail.html", c=consultation, state=window_state(consultation),
                           docs=service.documents_of(db(), consultation), names=_names([consultation]),
                           tasks=service.tasks_for(db(), current_user.id, consultation),
                           is_patient=consultation.patient_id == current_user.id,
                           max_mb=current_app.extensions["carepath"].settings.upload_max_mb)


@bp.route("/<int:consultation_id>/cancel", methods=["POST"])
@confirmed_required
def cancel(consultation_id: int) -> Any:
    try:
        db().rollback()
        service.cancel(sessions(), current_user.id, consultation_id, request.form.get("reason", ""),
                       connectors=connectors(), ip=client_ip())
    except UserError as error:
        flash(user_message(error), "error")
        status = error.status
        if status == 404:
            raise
    else:
        flash(_("The consultation is cancelled; the doctor has been told."), "success")
    return redirect(url_for("consultations.detail", consultation_id=consultation_id))


@bp.route("/<int:consultation_id>/join")
@confirmed_required
def join(consultation_id: int) -> Any:
    session = db()
    try:
        url = service.join(session, current_user.id, consultation_id, ip=client_ip())
        payments.check_paid(session, consultation_id)  # the join button's lock of a paid consultation
    except UserError as error:
        session.rollback()
        if error.status == 404:
            raise
        consultation = session.get(Consultation, consultation_id)
        return render_template("consultations/join_refused.html", message=user_message(error),
                               c=consultation), error.status
    session.commit()
    return redirect(url)


@bp.route("/<int:consultation_id>/files", methods=["POST"])
@confirmed_required
def add_file(consultation_id: int) -> Any:
    """The doctor attaches a file during the session; the patient sends a document to the doctor."""
    session = db()
    consultation = service.get_for(session, current_user.id, consultation_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file."), "error")
        return redirect(url_for("consultations.detail", consultation_id=consultation_id)), 303
    data = upload.read(limits().max_bytes + 1)
    try:
        if current_user.id == consultation.doctor_user_id:
            service.attach_file(session, store(), current_user.id, consultation_id, filename=upload.filename,
                                data=data, limits=limits(), ip=client_ip())
        else:
            service.send_document(session, store(), current_user.id, consultation_id, filename=upload.filename,
                                  data=data, limits=limits(), ip=client_ip())
    except UserError as error:
        session.rollback()
        flash(user_message(error), "error")
    else:
        session.commit()
        flash(_("The file is attached to the consultation."), "success")
    return redirect(url_for("consultations.detail", consultation_id=consultation_id))


@bp.route("/<int:consultation_id>/documents/<int:document_id>")
@confirmed_required
def document(consultation_id: int, document_id: int) -> Any:
    session = db()
    consultation = service.get_for(session, current_user.id, consultation_id)
    if document_id not in {d.id for d in service.documents_of(session, consultation)}:
        abort(404)
    found, data = documents.read(session, store(), document_id, user_id=current_user.id, ip=client_ip(),
                                 granted=service.in_review_queue(session, consultation, current_user.id))
    session.commit()
    return Response(data, mimetype=found.content_type, headers={
        "Content-Disposition": f"attachment; filename=document-{found.id}.{found.content_type.rsplit('/', 1)[-1]}",
        "X-Content-Type-Options": "nosniff"})


@bp.route("/<int:consultation_id>/invite.ics")
@confirmed_required
def invite(consultation_id: int) -> Any:
    consultation = service.get_for(db(), current_user.id, consultation_id)
    if consultation.starts_at is None or consultation.ends_at is None or consultation.status == CANCELLED:
        abort(404)
    link = url_for("consultations.detail", consultation_id=consultation_id, _external=True)
    body = appointment_ics(uid=f"consultation-{consultation.id}@carepath", starts_at=consultation.starts_at,
                           ends_at=consultation.ends_at, summary=_("Online consultation No. %(n)s", n=consultation.id),
                           location=link, description=_("Join from the consultation page: %(link)s", link=link),
                           remind_minutes=10)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f"attachment; filename=consultation-{consultation.id}.ics"})
