"""FHIR R4 export of a patient's monitoring as plain JSON dicts: a `collection` Bundle with the plans
as Questionnaires, each answered day as a QuestionnaireResponse per plan, and every measurement as a
vital-signs Observation with its LOINC code (blood pressure as the 85354-9 panel with systolic 8480-6 and
diastolic 8462-4 components). Glucose is stored in mmol/L and exported in mg/dL, the unit of LOINC 2339-0.

What the FHIR rules ask of it (checked with fhir.resources in the tests):
- an item answered with two values (blood pressure) is `repeats` in its Questionnaire;
- every linkId of a response, the day's comment included, is an item of the Questionnaire it names;
- an Observation's effectiveDateTime is when it was measured (the section's clock time, in the patient's
  zone; the day alone for whole-day items), not when the questionnaire was sent."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from engine.accounts.models import User
from engine.fhir_ids import collection, ref, rid, urn
from engine.monitoring import catalog
from engine.monitoring.history import History
from engine.monitoring.models import ANSWERED, MEASUREMENT, MEDICATION, SECTION_CLOCK, PlanItem
from engine.monitoring.schedule import local_moment

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VITAL_SIGNS = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                           "code": "vital-signs", "display": "Vital Signs"}]}
LOCAL = "urn:carepath:monitoring"
COMMENT_LINK_ID = "comment"


def _authored(day: date, answered_at: datetime | None) -> str:
    return (answered_at or datetime.combine(day, time(12))).isoformat()


def measured_at(item: PlanItem, day: date, timezone: str | None) -> str:
    """When the value was taken: the section's time in the patient's zone, or the day for whole-day items."""
    clock = SECTION_CLOCK.get(item.time_of_day)
    return local_moment(day, clock, timezone).isoformat() if clock else day.isoformat()


def _quantity(measure: catalog.Measure, value: float) -> dict[str, Any]:
    if measure.code == "glucose":
        value = round(value * catalog.GLUCOSE_MG_PER_MMOL, 1)
    return {"value": value, "unit": measure.ucum, "system": UCUM, "code": measure.ucum}


def _link_id(item: PlanItem) -> str:
    return f"item-{item.id}"


def questionnaire_url(plan_id: int) -> str:
    return urn("Questionnaire", plan_id)


def questionnaire(plan_id: int, title: str, items: list[PlanItem]) -> dict[str, Any]:
    entries = []
    for item in items:
        entry: dict[str, Any] = {"linkId": _link_id(item), "text": item.title}
        if item.kind == MEASUREMENT:
            entry["type"] = "decimal"
            measure = catalog.measure(item.code)
            if measure is not None:
                entry["code"] = [{"system": LOINC, "code": measure.loinc, "display": measure.loinc_display}]
                # Blood pressure is answered with two decimals (systolic, diastolic).
                entry["repeats"] = bool(measure.components)
        elif item.kind == MEDICATION:
            entry["type"] = "boolean"
        elif item.options:
            entry["type"] = "choice"
            entry["answerOption"] = [{"valueCoding": {"system": LOCAL, "code": str(n), "display": text}}
                                     for n, text in enumerate(item.options)]
        else:
            entry["type"] = "integer"
        entries.append(entry)
    entries.append({"linkId": COMMENT_LINK_ID, "text": "Comment", "type": "text"})
    return {"resourceType": "Questionnaire", "id": rid("Questionnaire", plan_id), "url": questionnaire_url(plan_id),
            "status": "active", "title": title, "item": entries}


def _answer_values(item: PlanItem, answer: Any) -> list[dict[str, Any]]:
    if item.kind == MEASUREMENT:
        values = [answer.value] + ([answer.value2] if answer.value2 is not None else [])
        return [{"valueDecimal": v} for v in values if v is not None]
    if item.kind == MEDICATION:
        return [{"valueBoolean": bool(answer.taken)}]
    if item.options:
        choice = answer.choice or 0
        return [{"valueCoding": {"system": LOCAL, "code": str(choice), "display": item.options[choice]}}]
    return [{"valueInteger": answer.choice or 0}]


def observation(patient_id: int, item: PlanItem, answer: Any, day: date, timezone: str | None,
                response_key: str) -> dict[str, Any] | None:
    measure = catalog.measure(item.code)
    if measure is None or answer.value is None:
        return None
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": rid("Observation", answer.id), "status": "final",
        "category": [VITAL_SIGNS],
        "code": {"coding": [{"system": LOINC, "code": measure.loinc, "display": measure.loinc_display}],
                 "text": item.title},
        "subject": ref("Patient", patient_id), "effectiveDateTime": measured_at(item, day, timezone),
        "derivedFrom": [ref("QuestionnaireResponse", response_key)],
    }  # fmt: skip
    if measure.components:
        resource["component"] = [
            {"code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
             "valueQuantity": _quantity(measure, value)}
            for (code, display), value in zip(measure.components, (answer.value, answer.value2), strict=True)
            if value is not None
        ]  # fmt: skip
    else:
        resource["valueQuantity"] = _quantity(measure, answer.value)
    if answer.beyond:
        resource["interpretation"] = [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "A",
            "display": "Abnormal"}]}]
    return resource


def patient_resource(patient: User) -> dict[str, Any]:
    return {
        "resourceType": "Patient", "id": rid("Patient", patient.id),
        "identifier": [{"system": "urn:carepath:user", "value": str(patient.id)}],
        "name": [{"family": patient.last_name, "given": [p for p in (patient.first_name, patient.patronymic) if p]}],
        **({"birthDate": patient.birth_date.isoformat()} if patient.birth_date else {}),
    }  # fmt: skip


def resources(patient: User, history: History, plans: list[Any]) -> list[dict[str, Any]]:
    """The monitoring resources of the patient, without the Patient itself (the card's export adds them)."""
    items_by_plan: dict[int, list[PlanItem]] = {}
    for item in history.items.values():
        items_by_plan.setdefault(item.plan_id, []).append(item)
    found: list[dict[str, Any]] = [questionnaire(p.id, p.title, items_by_plan.get(p.id, [])) for p in plans]
    exported = {p.id for p in plans}
    for q in sorted(history.days, key=lambda d: d.day):
        if q.status != ANSWERED:
            continue
        answers = history.answers.get(q.id, {})
        # A day covers every plan; each plan's answers go in a response to that plan's Questionnaire, so
        # every linkId is one of its items.
        for plan_id in sorted({history.items[i].plan_id for i in answers} & exported):
            key = f"{q.id}-{plan_id}"
            mine = {i: a for i, a in answers.items() if history.items[i].plan_id == plan_id}
            response: dict[str, Any] = {
                "resourceType": "QuestionnaireResponse", "id": rid("QuestionnaireResponse", key),
                "questionnaire": questionnaire_url(plan_id), "status": "completed",
                "subject": ref("Patient", patient.id), "authored": _authored(q.day, q.answered_at),
                "item": [{"linkId": _link_id(history.items[i]), "text": history.items[i].title,
                          "answer": _answer_values(history.items[i], a)} for i, a in mine.items()],
            }  # fmt: skip
            if q.comment:
                response["item"].append({"linkId": COMMENT_LINK_ID, "text": "Comment",
                                         "answer": [{"valueString": q.comment}]})
            found.append(response)
            for item_id, answer in mine.items():
                made = observation(patient.id, history.items[item_id], answer, q.day, patient.timezone, key)
                if made is not None:
                    found.append(made)
    return found


def bundle(patient: User, history: History, plans: list[Any]) -> dict[str, Any]:
    return collection([patient_resource(patient), *resources(patient, history, plans)])
