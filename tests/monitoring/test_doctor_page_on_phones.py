"""Issue f2, the doctor's monitoring page on a phone: the tables stack with each value labelled by its
column (so the patient's comment is not off-screen), the chart starts at the plan's start rather than a
month earlier, and a chart's legend names only what it draws."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from engine.monitoring.models import PlanItem
from tests.monitoring.test_web import TODAY, deployed  # noqa: F401
from tests.webui.conftest import app, cast, client, login, settings  # noqa: F401


def _figures(page: str) -> dict[str, str]:
    return {re.search(r"<figcaption>([^,<]+)", f).group(1): f
            for f in re.findall(r"<figure.*?</figure>", page, re.S)}


def test_the_days_table_stacks_labelled_and_the_charts_start_at_the_plan(app, client, deployed, clock):  # noqa: F811
    login(client, deployed.doctor.email)
    response = client.post("/monitoring/plans/new", data={
        "patient_email": deployed.patient.email, "title": "BP", "start_date": TODAY, "invite_time": "19:00"})
    plan_path = response.headers["Location"]
    assert client.post(f"{plan_path}/items", data={
        "kind": "measurement", "code": "bp", "time_of_day": "morning", "period": "daily",
        "alert_high": "140", "alert_high2": "90"}).status_code == 302
    assert client.post(f"{plan_path}/items", data={
        "kind": "measurement", "code": "weight", "period": "daily"}).status_code == 302
    client.post("/account/logout")
    with app.extensions["carepath"].sessions() as session:
        bp, weight = sorted(session.scalars(select(PlanItem.id)))
    login(client, deployed.patient.email)
    assert client.post(f"/monitoring/days/{TODAY}", data={
        f"m{bp}": "150", f"m{bp}_2": "95", f"m{weight}": "72,4",
        "comment": "Утром кружилась голова"}).status_code == 302
    client.post("/account/logout")
    clock.current += timedelta(days=1)
    login(client, deployed.doctor.email)
    page = client.get(f"/monitoring/patients/{deployed.patient.id}").get_data(as_text=True)
    # The days table stacks on a phone (style.css .cp-stack), the comment labelled by its column.
    assert '<table class="cp-days-table cp-stack">' in page
    assert '<td data-label="Comment" class="user-text">Утром кружилась голова</td>' in page
    assert '<td data-label="Day">' in page and '<td data-label="Status">' in page
    # The plan started on 2 March: the x-range starts there, not 30 days before the last day.
    assert page.count(">2 Mar</text>") == 4 and ">3 Mar</text>" in page
    assert ">2 Feb</text>" not in page and ">1 Feb</text>" not in page
    assert "Measurements, Mar 2, 2026 – Mar 3, 2026" in page  # the heading names the same days
    figures = _figures(page)
    # Blood pressure has a red point; weight has neither thresholds nor red points, so no legend for them.
    assert "beyond a threshold" in figures["Blood pressure"] and "cp-beyond" in figures["Blood pressure"]
    assert "beyond a threshold" not in figures["Weight"] and "thresholds" not in figures["Weight"]
