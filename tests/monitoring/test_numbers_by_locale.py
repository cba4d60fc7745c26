"""A Russian reader sees measured values written the Russian way, «71,6», on every page that shows them:
the doctor's patient page (alerts, chart, correction history), the plan, the alert task and the patient's
own questionnaire; an English reader keeps "71.6"."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from engine.monitoring.models import PlanItem
from tests.monitoring.test_web import TODAY, deployed  # noqa: F401
from tests.webui.conftest import app, cast, client, login, settings  # noqa: F401


def _in(client, language: str) -> None:  # noqa: F811
    with client.session_transaction() as session:
        session["lang"] = language


def test_weights_with_a_decimal_comma_in_russian_and_a_point_in_english(app, client, deployed, clock):  # noqa: F811
    login(client, deployed.doctor.email)
    response = client.post("/monitoring/plans/new", data={
        "patient_email": deployed.patient.email, "title": "Weight", "start_date": TODAY, "invite_time": "19:00"})
    plan_path = response.headers["Location"]
    assert client.post(f"{plan_path}/items", data={
        "kind": "measurement", "code": "weight", "time_of_day": "morning", "period": "daily",
        "alert_high": "70.5"}).status_code == 302
    client.post("/account/logout")
    with app.extensions["carepath"].sessions() as session:
        [item_id] = session.scalars(select(PlanItem.id))

    login(client, deployed.patient.email)
    _in(client, "ru")
    assert client.post(f"/monitoring/days/{TODAY}", data={f"m{item_id}": "71,6"}).status_code == 302
    own = client.get(f"/monitoring/days/{TODAY}").get_data(as_text=True)
    assert 'value="71,6"' in own  # the correction form, as the patient wrote it
    client.post(f"/monitoring/days/{TODAY}", data={f"m{item_id}": "71,8"})
    client.post("/account/logout")
    clock.current += timedelta(days=1)

    login(client, deployed.doctor.email)
    _in(client, "ru")
    page = client.get(f"/monitoring/patients/{deployed.patient.id}").get_data(as_text=True)
    assert "71,8\u00a0кг" in page or "71,8 кг" in page  # the open alert
    assert "70,5" in page  # the threshold in the alert, the chart's caption and its threshold line
    assert ": 71,6 кг" in page  # the value the correction replaced
    assert "</title>" in page and re.search(r"<title>[^<]*71,8 кг</title>", page)  # a chart point
    assert not re.search(r"7[01]\.[568]", page)
    plan = client.get(plan_path).get_data(as_text=True)
    assert "70,5" in plan and "70.5" not in plan
    inbox = client.get("/tasks/?pathway=monitoring_cycle").get_data(as_text=True)
    [task_path] = set(re.findall(r'href="(/tasks/\d+/[0-9a-f-]{36})"', inbox))
    task = client.get(task_path).get_data(as_text=True)
    assert "71,8" in task and "70,5" in task and "71.8" not in task

    _in(client, "en")
    english = client.get(f"/monitoring/patients/{deployed.patient.id}").get_data(as_text=True)
    assert "71.8 kg" in english and "70.5" in english and "71,8" not in english
