"""FHIR R4 export of a patient's monitoring as plain JSON dicts: a `collection` Bundle with the plans
as Questionnaires, each answered day as a QuestionnaireResponse, and every measurement as a vital-signs
Observation with its LOINC code (blood pressure as the 85354-9 panel with systolic 8480-6 and diastolic
8462-4 components). Glucose is stored in mmol/L and exported in mg/dL, the unit of LOINC 2339-0."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from engine.accounts.models import User
from engine.monitoring import catalog
from engine.monitoring.history import History
from engine.monitoring.models import ANSWERED, MEASUREMENT, MEDICATION, PlanItem

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VITAL_SIGNS = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                           "code": "vital-signs", "display": "Vital Signs"}]}
LOCAL = "urn:carepath:monitoring"


def _when(day: date, answered_at: datetime | None) -> str:
    return (answered_at or datetime.combine(day, time(12))).isoformat()


def _quantity(measure: catalog.Measure, value: float) -> dict[str, Any]:
    if measure.code == "glucose":
        value = round(value * catalog.GLUCOSE_MG_PER_MMOL, 1)
    return {"value": value, "unit": measure.ucum, "system": UCUM, "code": measure.ucum}


def _link_id(item: PlanItem) -> str:
    return f"item-{item.id}"


def questionnaire(plan_id: int, title: str, items: list[PlanItem]) -> dict[str, Any]:
    entries = []
    for item in items:
        entry: dict[str, Any] = {"linkId": _link_id(item), "text": item.title}
        if item.kind == MEASUREMENT:
            entry["type"] = "decimal"
            measure = catalog.measure(item.code)
            if measure is not None:
                entry["code"] = [{"system": LOINC, "code": measure.loinc, "display": measure.loinc_display}]
        elif item.kind == MEDICATION:
            entry["type"] = "boolean"
        elif item.options:
            entry["type"] = "choice"
            entry["answerOption"] = [{"valueCoding": {"system": LOCAL, "code": str(n), "display": text}}
                                     for n, text in enumerate(item.options)]
        else:
            entry["type"] = "integer"
        entries.append(entry)
    return {"resourceType": "Questionnaire", "id": f"plan-{plan_id}", "status": "active", "title": title,
            "item": entries}


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


def observation(patient_ref: str, item: PlanItem, answer: Any, day: date, answered_at: datetime | None,
                response_id: str) -> dict[str, Any] | None:
    measure = catalog.measure(item.code)
    if measure is None or answer.value is None:
        return None
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": f"obs-{answer.id}", "status": "final", "category": [VITAL_SIGNS],
        "code": {"coding": [{"system": LOINC, "code": measure.loinc, "display": measure.loinc_display}],
                 "text": item.title},
        "subject": {"reference": patient_ref}, "effectiveDateTime": _when(day, answered_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
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


def bundle(patient: User, history: History, plans: list[Any]) -> dict[str, Any]:
    patient_ref = f"Patient/{patient.id}"
    resources: list[dict[str, Any]] = [{
        "resourceType": "Patient", "id": str(patient.id),
        "name": [{"family": patient.last_name, "given": [p for p in (patient.first_name, patient.patronymic) if p]}],
        **({"birthDate": patient.birth_date.isoformat()} if patient.birth_date else {}),
    }]  # fmt: skip
    items_by_plan: dict[int, list[PlanItem]] = {}
    for item in history.items.values():
        items_by_plan.setdefault(item.plan_id, []).append(item)
    resources += [questionnaire(p.id, p.title, items_by_plan.get(p.id, [])) for p in plans]
    for q in sorted(history.days, key=lambda d: d.day):
        if q.status != ANSWERED:
            continue
        response_id = f"day-{q.id}"
        answers = history.answers.get(q.id, {})
        plan_ids = sorted({history.items[i].plan_id for i in answers})
        response: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse", "id": response_id, "status": "completed",
            "subject": {"reference": patient_ref}, "authored": _when(q.day, q.answered_at),
            "item": [{"linkId": _link_id(history.items[i]), "text": history.items[i].title,
                      "answer": _answer_values(history.items[i], a)} for i, a in answers.items()],
        }  # fmt: skip
        if plan_ids:
            response["questionnaire"] = f"Questionnaire/plan-{plan_ids[0]}"
        if q.comment:
            response["item"].append({"linkId": "comment", "text": "Comment", "answer": [{"valueString": q.comment}]})
        resources.append(response)
        for item_id, answer in answers.items():
            found = observation(patient_ref, history.items[item_id], answer, q.day, q.answered_at, response_id)
            if found is not None:
                resources.append(found)
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:carepath:{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}
