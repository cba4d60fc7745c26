"""What the card's route modules share: finding the patient for the viewer (or 404), the journal entry of
a staff view, and the file store of the patients' documents."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from flask_login import current_user

from engine import audit
from engine.accounts.models import User
from engine.card import team
from engine.documents.storage import BlobStore
from integrations import files
from webui.db import db
from webui.security import client_ip


def patient_for_viewer(patient_id: int) -> User:
    """The patient, if the viewer is the patient or on their care team; anyone else gets 404, as for an
    object that is not there (a foreign doctor must not learn that the person exists)."""
    patient = db().get(User, patient_id)
    if patient is None or not team.may_see_card(db(), patient_id, current_user):
        abort(404)
    return patient


def journal_staff_view(patient: User, action: str, **details: Any) -> None:
    """Staff views go to the patient's journal (and the viewer's); a patient's look at their own card does not."""
    if current_user.id != patient.id:
        audit.record(db(), action, actor_id=current_user.id, subject_id=patient.id, ip=client_ip(),
                     object_type="patient", object_id=patient.id, **details)
        db().commit()


# Monitoring keeps its files in a folder of its own (webui.monitoring.shared); every other area in the root.
STORE_FOLDERS = {"monitoring": "documents"}


def file_store(purpose: str) -> BlobStore:
    return files.file_store(current_app.extensions["carepath"].settings, STORE_FOLDERS.get(purpose, ""))
