"""Schedules across time zones and periods, answers checked against the valid range, the FHIR R4 and
CSV exports, the template reuse and the served dispatch deployment."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.db import transaction
from engine.i18n import NotFound, UserError
from engine.monitoring import answering, dispatch, export, fhir, history, plans, questionnaires, schedule
from engine.monitoring.models import MonitoringPlan, PlanItem
from engine.workflow import Actor
from tests.fhir_check import check_bundle, resources
from tests.monitoring.conftest import BASE_URL, BP_MORNING, NAUSEA, PILL_MIDDAY, START, make_plan


def plan_with(*items: dict, start: date = START) -> MonitoringPlan:
    plan = MonitoringPlan(doctor_id=1, patient_id=2, title="p", start_date=start, status="active", invite_time="19:00")
    plan.items = [plans.make_item(fields, n) for n, fields in enumerate(items)]
    for n, item in enumerate(plan.items):
        item.id, item.plan_id = n + 1, 1
    return plan


def test_weekday_and_every_n_items_are_due_only_on_their_days():
    plan = plan_with({"kind": "medication", "title": "A", "period": "weekdays", "weekdays": ["0", "3"]},
                     {"kind": "measurement", "code": "weight", "period": "every_n", "every_n": 3})
    due = {START + timedelta(days=d): [i.title for i in schedule.due_items([plan], START + timedelta(days=d))]
           for d in range(7)}
    assert due[START] == ["A", "Weight"]  # Monday, first day
    assert due[START + timedelta(days=3)] == ["A", "Weight"]  # Thursday, day 4
    assert due[START + timedelta(days=1)] == [] and due[START + timedelta(days=6)] == ["Weight"]
    assert schedule.due_items([plan], START - timedelta(days=1)) == []


def test_the_evening_comes_at_the_patients_own_local_time():
    moment = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 19:30 in Moscow, 01:30 next day in Vladivostok
    assert schedule.local_day(moment, "Europe/Moscow") == date(2026, 3, 2)
    assert schedule.local_day(moment, "Asia/Vladivostok") == date(2026, 3, 3)
    assert schedule.deadline(date(2026, 3, 2), "19:00", "Europe/Moscow") == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    assert schedule.zone("Not/AZone").key == "Europe/Moscow"


def test_values_outside_the_valid_range_are_refused_with_the_range_and_alert_thresholds_only_flag():
    plan = plan_with(BP_MORNING, {"kind": "measurement", "code": "temperature", "valid_min": "35", "alert_high": 37.5})
    bp, temperature = plan.items
    with pytest.raises(UserError) as refused:
        questionnaires.check_answers(plan.items, {str(temperature.id): {"value": "44"}})
    assert refused.value.message.startswith("%(title)s: %(value)s is outside the valid range")
    assert refused.value.params == {"title": "Body temperature", "value": "44", "low": "35", "high": "43", "unit": "°C"}
    with pytest.raises(UserError):
        questionnaires.check_answers(plan.items, {str(bp.id): {"value": "120"}})  # the lower value is missing
    clean = questionnaires.check_answers(plan.items, {str(temperature.id): {"value": "38,1"}})
    assert clean == {temperature.id: {"value": 38.1, "value2": None}}
    assert questionnaires.beyond_thresholds(temperature, clean[temperature.id])
    assert not questionnaires.beyond_thresholds(bp, {"value": 140, "value2": 90})


@pytest.fixture
def answered(world, sessions, connectors, clock):
    plan_id = make_plan(sessions, world.doctor.id, world.patient.id, [BP_MORNING, PILL_MIDDAY, NAUSEA,
                        {"kind": "measurement", "code": "glucose", "time_of_day": "day"}])
    clock.current = datetime(2026, 3, 2, 16, 5, tzinfo=UTC)
    dispatch.dispatch_evening(sessions, base_url=BASE_URL, connectors=connectors)
    with sessions() as session:
        q = questionnaires.get_for_patient(session, world.patient.id, START)
        ids = {i.code or i.title: i.id for i in session.get(MonitoringPlan, plan_id).items}
    answering.send(sessions, Actor(world.patient.id, frozenset({"patient"})), q.id, {
        "answers": {str(ids["bp"]): {"value": 150, "value2": 85}, str(ids["Bisoprolol"]): {"taken": False},
                    str(ids["Nausea"]): {"choice": 1}, str(ids["glucose"]): {"value": 5.5}},
        "comment": "@SUM(A1) -dizzy"}, connectors=connectors)
    return world, plan_id


def test_the_fhir_bundle_has_the_required_fields_and_loinc_codes(answered, sessions):
    world, plan_id = answered
    with sessions() as session:
        data = history.load(session, world.patient.id, doctor_id=world.doctor.id)
        from engine.accounts.models import User

        bundle = fhir.bundle(session.get(User, world.patient.id), data, [session.get(MonitoringPlan, plan_id)])
    json.dumps(bundle)  # plain JSON
    check_bundle(bundle)  # fhir.resources parses it; references, linkIds and repeats fit
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    [patient] = resources(bundle, "Patient")
    [questionnaire] = resources(bundle, "Questionnaire")
    assert questionnaire["status"] == "active" and all({"linkId", "type"} <= set(i) for i in questionnaire["item"])
    [response] = resources(bundle, "QuestionnaireResponse")
    assert response["status"] == "completed" and response["questionnaire"] == questionnaire["url"]
    assert {"linkId", "answer"} <= set(response["item"][0])
    by_link = {i["linkId"]: i for i in questionnaire["item"]}
    bp_item = next(i for i in response["item"] if len(i["answer"]) == 2)
    assert by_link[bp_item["linkId"]]["repeats"] is True  # systolic and diastolic: two answers
    assert response["item"][-1] == {"linkId": "comment", "text": "Comment", "answer": [{"valueString": "@SUM(A1) -dizzy"}]}
    assert by_link["comment"]["type"] == "text"
    observations = {o["code"]["coding"][0]["code"]: o for o in resources(bundle, "Observation")}
    assert set(observations) == {"85354-9", "2339-0"}
    for observation in observations.values():
        assert observation["status"] == "final" and observation["subject"]["reference"] == f"urn:uuid:{patient['id']}"
        assert observation["category"][0]["coding"][0]["code"] == "vital-signs"
    # Measured in the morning section at 9:00 Moscow time, on the day; sent that evening (16:05 UTC).
    bp = observations["85354-9"]
    assert bp["effectiveDateTime"] == "2026-03-02T09:00:00+03:00"
    assert response["authored"].startswith("2026-03-02T16:05")
    assert observations["2339-0"]["effectiveDateTime"] == "2026-03-02"  # a whole-day item: the day only
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]] == [
        ("8480-6", 150), ("8462-4", 85)]
    assert bp["component"][0]["valueQuantity"]["unit"] == "mm[Hg]" and bp["interpretation"][0]["coding"][0]["code"] == "A"
    assert observations["2339-0"]["valueQuantity"] == {"value": 99.1, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                                       "code": "mg/dL"}


def test_the_csv_export_neutralises_formula_cells(answered, sessions):
    world, _plan = answered
    with sessions() as session:
        text = export.to_csv(history.load(session, world.patient.id))
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("date,status,time_of_day")
    assert all(line.endswith("'@SUM(A1) -dizzy") for line in lines[1:])
    assert any(",Bisoprolol,not taken," in line for line in lines)


def test_a_template_keeps_the_items_for_another_patient(world, sessions):
    plan_id = make_plan(sessions, world.doctor.id, world.patient.id, [BP_MORNING, NAUSEA])
    with transaction(sessions) as session:
        template = plans.save_template(session, world.doctor.id, "Hypertension", session.get(MonitoringPlan, plan_id))
        items = plans.get_template(session, template.id, world.doctor.id).items
        with pytest.raises(NotFound):
            plans.get_template(session, template.id, world.doctor2.id)
    second = make_plan(sessions, world.doctor.id, world.other_patient.id, items)
    with sessions() as session:
        copied = [(i.code, i.title, i.alert_high, i.options) for i in session.get(MonitoringPlan, second).items]
    assert copied == [("bp", "Blood pressure", 140, []), ("", "Nausea", None, ["No nausea", "Mild nausea", "Vomiting"])]
    assert isinstance(copied, list) and PlanItem


def test_the_daily_dispatch_is_served_every_five_minutes():
    from workflows import deployments

    served = {d.name: d for d in deployments.deployments()}
    monitoring = served[deployments.MONITORING_DEPLOYMENT]
    assert monitoring.entrypoint == "workflows.monitoring.monitoring_dispatch"
    assert monitoring.schedules[0].schedule.interval == timedelta(minutes=5)
