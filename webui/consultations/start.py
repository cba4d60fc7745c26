"""Starting a consultation: the application to a medical center (route 1, the center chosen from the list
with its specialty profile), booking a duty doctor's time (route 2), and the patient's documents page
(upload PDF/JPEG/PNG checked by content, withdraw drafts only)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import roles
from engine.consultations import centers, service
from engine.documents import service as documents
from engine.documents.models import DRAFT
from engine.i18n import Forbidden, NotFound, UserError
from webui.consultations.blueprint import start_bp as bp
from webui.consultations.shared import limits, store
from webui.db import db
from webui.messages import user_message
from webui.security import client_ip, confirmed_required, roles_required
from webui.tasks.core import connectors, sessions
from webui.timedisplay import reader


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@bp.route("/apply", methods=["GET", "POST"])
@confirmed_required
@roles_required(roles.PATIENT)
def apply() -> Any:
    session = db()
    form = request.form
    status = 200
    if request.method == "POST":
        # One radio per (center, specialty): "5:12". Works without script.
        center_id, _sep, specialty_id = (form.get("choice") or ":").partition(":")
        application = service.Application(
            center_id=_int(center_id) or 0, specialty_id=_int(specialty_id) or 0,
            full_name=form.get("full_name", ""), age=_int(form.get("age")), diagnosis_code=form.get("diagnosis_code", ""),
            diagnosis_text=form.get("diagnosis_text", ""), complaints=form.get("complaints", ""),
            document_ids=[i for i in (_int(v) for v in form.getlist("document_ids")) if i is not None])
        session.rollback()
        try:
            opened = service.apply(sessions(), current_user.id, application, connectors=connectors(), ip=client_ip())
        except UserError as error:
            flash(user_message(error), "error")
            status = error.status
        else:
            flash(_("Your application is sent. A doctor of the center will review it; you will be notified."), "success")
            return redirect(url_for("consultations.detail", consultation_id=opened.id))
    drafts = [d for d in documents.for_patient(session, current_user.id) if d.status == DRAFT]
    return render_template("consultations/apply.html", centers=centers.centers(session), drafts=drafts, form=form,
                           chosen=[_int(v) for v in form.getlist("document_ids")],
                           profile_age=service.profile_age(session, current_user.id)), status


@bp.route("/duty", methods=["GET", "POST"])
@confirmed_required
@roles_required(roles.PATIENT)
def duty() -> Any:
    status = 200
    if request.method == "POST":
        slot_id = _int(request.form.get("slot_id"))
        patient_id = current_user.id
        db().rollback()
        try:
            if slot_id is None:
                raise UserError(_("Choose a time."))
            booked = service.book_duty(sessions(), patient_id, slot_id, connectors=connectors(), ip=client_ip())
        except UserError as error:
            # The list below must show the times as they are now: a read made before the winner of a race
            # committed (SQLite keeps a transaction's snapshot) would still offer the time just taken.
            db().rollback()
            flash(user_message(error), "error")
            status = error.status
        else:
            flash(_("You are booked with the duty doctor. Accept the informed consent in your tasks before the start."), "success")
            return redirect(url_for("consultations.detail", consultation_id=booked.id))
    duties = centers.duty_doctors(db())
    return render_template("consultations/duty.html", duties=duties, label=lambda s: centers.slot_label(db(), s, *reader())), status


@bp.route("/documents", methods=["GET", "POST"])
@confirmed_required
@roles_required(roles.PATIENT)
def my_documents() -> Any:
    session = db()
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("withdraw"):
                documents.withdraw(session, _int(request.form.get("withdraw")) or 0, user_id=current_user.id, ip=client_ip())
                message = _("The document is withdrawn.")
            else:
                files = [f for f in request.files.getlist("files") if f and f.filename]
                if not files:
                    raise UserError(_("Choose a file."))
                for upload in files:
                    documents.upload(session, store(), patient_id=current_user.id, uploader_id=current_user.id,
                                     filename=upload.filename or "file", data=upload.read(limits().max_bytes + 1),
                                     ip=client_ip(), limits=limits(), purpose="medical")
                message = _("Uploaded: %(n)s file(s).", n=len(files))
        except UserError as error:
            session.rollback()  # one bad file: nothing of this upload is kept
            flash(user_message(error), "error")
            status = error.status
        else:
            session.commit()
            flash(message, "success")
            return redirect(url_for("consultations_start.my_documents"))
    return render_template("consultations/documents.html", docs=documents.for_patient(session, current_user.id),
                           max_mb=limits().max_bytes // (1024 * 1024)), status


@bp.route("/documents/<int:document_id>")
@confirmed_required
@roles_required(roles.PATIENT)
def my_document(document_id: int) -> Any:
    """The patient's own document as uploaded (from whichever host's store: integrations/files.py)."""
    session = db()
    try:
        document, data = documents.read(session, store(), document_id, user_id=current_user.id, ip=client_ip())
    except (NotFound, Forbidden):
        abort(404)  # another patient's document is "not found", never "forbidden"
    session.commit()
    return send_file(BytesIO(data), mimetype=document.content_type, download_name=document.filename,
                     as_attachment=True, max_age=0)
