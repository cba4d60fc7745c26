"""The card as a FHIR R4 Bundle, parsed by fhir.resources: every kind of resource the card has, urn:uuid
fullUrls, the signed PDF in the conclusion's DiagnosticReport, LOINC-coded observations and CarePlans."""

from __future__ import annotations

import base64
import json

from sqlalchemy import select

from engine.audit import AuditEntry
from engine.db import transaction
from tests.card.test_card import journal
from tests.fhir_check import check_bundle, resources
from tests.webui.conftest import login


def export(client, patient_id: int) -> dict:
    response = client.get(f"/card/patients/{patient_id}/fhir.json")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    return json.loads(response.get_data(as_text=True))


def test_the_doctors_export_is_a_valid_r4_bundle_of_the_whole_card(client, app, card):
    login(client, card.cast.doctor.email)

    bundle = export(client, card.cast.patient.id)

    parsed = check_bundle(bundle)
    assert parsed.type == "collection" and len(parsed.entry) == len(bundle["entry"])
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= {"Patient", "Condition", "DocumentReference", "Appointment", "Encounter", "DiagnosticReport",
                     "Questionnaire", "QuestionnaireResponse", "Observation", "CarePlan"}
    [patient] = resources(bundle, "Patient")
    assert patient["identifier"][0]["value"] == str(card.cast.patient.id)
    [condition] = resources(bundle, "Condition")
    assert condition["code"]["coding"][0] == {"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10",
                                              "display": "Essential (primary) hypertension"}
    [report] = resources(bundle, "DiagnosticReport")
    pdf = base64.b64decode(report["presentedForm"][0]["data"])
    assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf  # the signed conclusion itself
    assert report["status"] == "final" and report["conclusionCode"][0]["coding"][0]["code"] == "I10"
    assert report["encounter"]["reference"] in {f"urn:uuid:{e['id']}" for e in resources(bundle, "Encounter")}
    statuses = sorted(a["status"] for a in resources(bundle, "Appointment"))
    assert statuses == ["fulfilled", "fulfilled"]  # the consultation and the visited ticket
    observations = resources(bundle, "Observation")
    assert {o["code"]["coding"][0]["code"] for o in observations} == {"85354-9"} and len(observations) == 2
    assert sorted(o["effectiveDateTime"] for o in observations) == ["2026-03-02T09:00:00+03:00",
                                                                    "2026-03-03T09:00:00+03:00"]
    plans = {p["category"][0]["text"]: p for p in resources(bundle, "CarePlan")}
    assert plans["Remote monitoring"]["activity"][0]["detail"]["code"]["coding"][0]["code"] == "85354-9"
    assert plans["Rehabilitation"]["title"] == "Cardio rehabilitation" and plans["Rehabilitation"]["status"] == "active"
    [document] = [d for d in resources(bundle, "DocumentReference") if d["description"] == "ecg.pdf"]
    assert document["content"][0]["attachment"]["url"].endswith(
        f"/card/patients/{card.cast.patient.id}/documents/{card.document_id}")
    assert [e.actor_id for e in journal(app, "patient_card_exported")] == [card.cast.doctor.id]


def test_the_same_objects_keep_their_ids_from_one_export_to_the_next(client, card):
    login(client, card.cast.patient.email)

    first, second = export(client, card.cast.patient.id), export(client, card.cast.patient.id)

    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert first["id"] != second["id"]  # each bundle is its own


def test_an_instructor_without_a_grant_gets_the_pdf_link_but_not_its_content(client, card):
    login(client, card.instructor.email)

    [report] = resources(export(client, card.cast.patient.id), "DiagnosticReport")

    assert "data" not in report["presentedForm"][0]
    assert report["presentedForm"][0]["url"].endswith(f"/history/document/{card.conclusion_document_id}.pdf")


def test_a_foreign_doctor_cannot_export_and_nothing_is_journalled(client, app, card):
    login(client, card.foreign_doctor.email)

    assert client.get(f"/card/patients/{card.cast.patient.id}/fhir.json").status_code == 404
    with transaction(app.extensions["carepath"].sessions) as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "patient_card_exported")).all() == []
