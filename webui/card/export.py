"""The card as a FHIR R4 Bundle (engine/card/fhir.py), for the patient and their care team; a staff export
is journalled like a view. Links in the bundle are this server's absolute URLs; a signed PDF is embedded
only if the exporting person may read it."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from engine.card import entries as card
from engine.card import fhir
from engine.documents import service as documents
from engine.documents.models import Document
from webui.card.blueprint import bp
from webui.card.shared import file_store, journal_staff_view, patient_for_viewer
from webui.db import db


@bp.route("/patients/<int:patient_id>/fhir.json")
@login_required
def fhir_bundle(patient_id: int) -> Any:
    patient = patient_for_viewer(patient_id)

    def url(kind: str, object_id: int) -> str:
        if kind in (card.CONCLUSION, card.CONSENT):
            return url_for("history.download", document_id=object_id, _external=True)
        return url_for("card.document", patient_id=patient.id, document_id=object_id, _external=True)

    def readable(document: Document) -> bool:
        return documents.may_read(db(), document, current_user.id)

    body = fhir.bundle(db(), patient, url=url, store=file_store, readable=readable, locale=str(get_locale() or "ru"))
    journal_staff_view(patient, "patient_card_exported", format="fhir")
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/fhir+json",
                    headers={"Content-Disposition": f'attachment; filename="patient-card-{patient.id}.fhir.json"'})
