"""The patient's "History" (История болезни, R-CONC-02, R-PAY-04): the informed consents and the
doctor's conclusions as signed PDFs, newest first, with download links.

Who sees what: the patient their own; a doctor only the documents granted to them (the doctor who
signed a conclusion, the doctor of the consultation a consent was given for). Every download goes
through engine.documents.service.read, which checks the grant and writes the view to the journal.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.accounts.models import User
from engine.conclusions import service
from engine.conclusions.models import Conclusion, ConsentDocument
from engine.documents import service as documents
from engine.documents.models import Document
from engine.documents.storage import BlobStore
from integrations.files import file_store
from webui.db import db
from webui.security import client_ip

bp = Blueprint("history", __name__, url_prefix="/history")
PURPOSES = ("conclusion", "consent")


def _store() -> BlobStore:
    return file_store(current_app.extensions["carepath"].settings)


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {u.id: u.full_name for u in db().scalars(select(User).where(User.id.in_(user_ids)))}


def _page(patient: User, consents: list[ConsentDocument], conclusions: list[Conclusion], own: bool) -> Any:
    doctors = _names({c.doctor_id for c in conclusions})
    return render_template("history/index.html", patient=patient, consents=consents, conclusions=conclusions,
                           doctors=doctors, own=own)


@bp.route("/")
@login_required
def mine() -> Any:
    consents, conclusions = service.history(db(), current_user.id)
    return _page(current_user, consents, conclusions, own=True)


@bp.route("/patient/<int:patient_id>")
@login_required
def of_patient(patient_id: int) -> Any:
    """A doctor's view of one patient's signed documents: only those granted to this doctor."""
    if patient_id == current_user.id:
        return mine()
    patient = db().get(User, patient_id)
    if patient is None or not current_user.has_role("doctor"):
        abort(404 if patient is None else 403)
    consents, conclusions = service.history(db(), patient_id)
    readable = _readable({r.document_id for r in (*consents, *conclusions) if r.document_id is not None})
    consents = [c for c in consents if c.document_id in readable or c.doctor_id == current_user.id]
    conclusions = [c for c in conclusions if c.document_id in readable or c.doctor_id == current_user.id]
    if not consents and not conclusions:
        abort(403)  # no consultation of this patient involves this doctor
    return _page(patient, consents, conclusions, own=False)


def _readable(document_ids: set[int]) -> set[int]:
    rows = db().scalars(select(Document).where(Document.id.in_(document_ids))) if document_ids else []
    return {d.id for d in rows if documents.may_read(db(), d, current_user.id)}


@bp.route("/document/<int:document_id>.pdf")
@login_required
def download(document_id: int) -> Any:
    document = db().get(Document, document_id)
    if document is None or document.purpose not in PURPOSES:
        abort(404)
    # Raises Forbidden (403 page) for anyone without access; records the view in the journal.
    document, data = documents.read(db(), _store(), document_id, user_id=current_user.id, ip=client_ip())
    db().commit()
    return send_file(BytesIO(data), mimetype="application/pdf", download_name=document.filename,
                     as_attachment=True, max_age=0)
