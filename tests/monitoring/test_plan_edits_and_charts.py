"""Issue 16, monitoring: blood-pressure pairs are checked, the invitation time of a plan can be changed,
a question keeps the time of day the doctor chose, and the chart names the true thresholds, with a
legend and the time of day of each blood-pressure chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from engine.monitoring import dispatch
from engine.monitoring.models import ANSWERED, SENT, MonitoringPlan, PlanItem, Questionnaire
from engine.outbox import OutboxMessage
from tests.monitoring.test_web import TODAY, build_plan, deployed, item_ids  # noqa: F401
from tests.webui.conftest import app, cast, client, login, settings  # noqa: F401


def _sessions(app):  # noqa: F811
    return app.extensions["carepath"].sessions


def test_blood_pressure_with_the_upper_value_below_the_lower_is_refused_and_changes_nothing(app, client, deployed):  # noqa: F811
    build_plan(client, deployed)
    ids = item_ids(app)
    login(client, deployed.patient.email)
    bp, headache = ids["Blood pressure"], ids["Headache"]
    for upper, lower in (("80", "120"), ("90", "90")):
        refused = client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": upper, f"m{bp}_2": lower, f"q{headache}": "0"})
        assert refused.status_code == 400
        text = refused.get_data(as_text=True)
        assert f"the upper value ({upper}) must be higher than the lower one ({lower})" in text
        assert f'value="{upper}"' in text, "what the patient typed stays in the form to correct"
    # The plausible range of each value still holds (diastolic 30–160).
    refused = client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": "200", f"m{bp}_2": "170", f"q{headache}": "0"})
    assert "170 is outside the valid range 30–160 mmHg" in refused.get_data(as_text=True)
    with _sessions(app)() as session:
        assert session.scalar(select(Questionnaire.status)) == SENT
    assert client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": "120", f"m{bp}_2": "80",
                                                          f"q{headache}": "0"}).status_code == 302
    with _sessions(app)() as session:
        assert session.scalar(select(Questionnaire.status)) == ANSWERED


def test_the_doctor_changes_the_invitation_time_and_the_next_dispatch_follows_it(app, client, deployed, clock):  # noqa: F811
    plan_id = build_plan(client, deployed)
    login(client, deployed.doctor.email)
    page = client.get(f"/monitoring/plans/{plan_id}").get_data(as_text=True)
    assert 'name="invite_time"' in page and 'value="19:00"' in page
    bad = client.post(f"/monitoring/plans/{plan_id}/invite-time", data={"invite_time": "25:00"})
    assert bad.status_code == 400 and "must look like 19:00" in bad.get_data(as_text=True)
    done = client.post(f"/monitoring/plans/{plan_id}/invite-time", data={"invite_time": "20:30"}, follow_redirects=True)
    assert "The evening invitation now comes at 20:30." in done.get_data(as_text=True)
    with _sessions(app)() as session:
        assert session.get(MonitoringPlan, plan_id).invite_time == "20:30"
    from webui.tasks.core import connectors

    def invitations() -> int:
        with _sessions(app)() as session:
            return len(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "monitoring_invitation")).all())

    with app.app_context():
        registry = connectors()
        # 19:05 in Moscow: the old time has passed, the new one not yet: nobody is invited.
        clock.current = datetime(2026, 3, 2, 16, 5, tzinfo=UTC)
        dispatch.dispatch_evening(_sessions(app), base_url="https://carepath.test", connectors=registry)
        assert invitations() == 0
        clock.current = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)  # 20:30 in Moscow
        dispatch.dispatch_evening(_sessions(app), base_url="https://carepath.test", connectors=registry)
        assert invitations() == 1
    other = client.post(f"/monitoring/plans/{plan_id}/end")
    assert other.status_code == 302
    ended = client.post(f"/monitoring/plans/{plan_id}/invite-time", data={"invite_time": "18:00"})
    assert ended.status_code == 400 and "has ended" in ended.get_data(as_text=True)


def test_a_question_set_to_the_evening_is_stored_and_shown_as_evening(app, client, deployed):  # noqa: F811
    plan_id = build_plan(client, deployed)
    login(client, deployed.doctor.email)
    assert client.post(f"/monitoring/plans/{plan_id}/items", data={
        "kind": "question", "title": "Sleep", "answer_type": "options", "options": "Slept well\nBadly",
        "time_of_day": "evening", "period": "daily"}).status_code == 302
    with _sessions(app)() as session:
        assert session.scalar(select(PlanItem.time_of_day).where(PlanItem.title == "Sleep")) == "evening"
    row = next(line for line in client.get(f"/monitoring/plans/{plan_id}").get_data(as_text=True).splitlines()
               if "Sleep" in line and "<strong>" in line)
    assert "Whole day" not in row
    client.post("/account/logout")
    login(client, deployed.patient.email)
    page = client.get(f"/monitoring/days/{TODAY}").get_data(as_text=True)
    assert "Sleep <span class=\"muted\">(Evening)</span>" in page


def test_the_chart_names_the_true_thresholds_with_a_legend_and_morning_and_evening_apart(
        app, client, deployed, clock):  # noqa: F811
    login(client, deployed.doctor.email)
    response = client.post("/monitoring/plans/new", data={
        "patient_email": deployed.patient.email, "title": "BP", "start_date": TODAY, "invite_time": "19:00"})
    plan_path = response.headers["Location"]
    for when in ("morning", "evening"):
        assert client.post(f"{plan_path}/items", data={
            "kind": "measurement", "code": "bp", "time_of_day": when, "period": "daily", "alert_low": "90",
            "alert_high": "140", "alert_low2": "50", "alert_high2": "90"}).status_code == 302
    client.post("/account/logout")
    with _sessions(app)() as session:
        ids = sorted(session.scalars(select(PlanItem.id)))
    login(client, deployed.patient.email)
    assert client.post(f"/monitoring/days/{TODAY}", data={f"m{ids[0]}": "150", f"m{ids[0]}_2": "95",
                                                          f"m{ids[1]}": "118", f"m{ids[1]}_2": "76"}).status_code == 302
    client.post("/account/logout")
    clock.current += timedelta(days=1)
    login(client, deployed.doctor.email)
    page = client.get(f"/monitoring/patients/{deployed.patient.id}").get_data(as_text=True)
    assert page.count("thresholds 90–140 / 50–90") == 2
    assert 'Blood pressure, morning, <span class="cp-unit">mmHg</span>' in page
    assert 'Blood pressure, evening, <span class="cp-unit">mmHg</span>' in page
    assert page.count("upper value (systolic)") == 2 and page.count("lower value (diastolic)") == 2
    assert "thresholds of the upper value 90–140" in page and "thresholds of the lower value 50–90" in page
    # The systolic-low and diastolic-high lines (both 90) are drawn as two distinct lines, in each chart's
    # wide and narrow drawing (the stylesheet shows one).
    assert page.count("cp-threshold cp-threshold-1") == 8 and page.count("cp-threshold cp-threshold-2") == 8
    assert page.count("cp-chart cp-chart-wide") == 2 and page.count("cp-chart cp-chart-narrow") == 2
    assert "Latest value: 118/76 mmHg" in page


def test_the_patient_corrects_a_sent_day_on_its_page_until_the_doctor_marks_it_reviewed(app, client, deployed):  # noqa: F811
    build_plan(client, deployed)
    ids = item_ids(app)
    bp, headache = ids["Blood pressure"], ids["Headache"]
    login(client, deployed.patient.email)
    assert client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": "118", f"m{bp}_2": "76",
                                                          f"q{headache}": "0", "comment": "fine"}).status_code == 302
    page = client.get(f"/monitoring/days/{TODAY}").get_data(as_text=True)
    assert 'value="118"' in page and 'value="76"' in page and "Send the corrected data" in page
    refused = client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": "76", f"m{bp}_2": "118", f"q{headache}": "0"})
    assert refused.status_code == 400 and "must be higher than the lower one" in refused.get_data(as_text=True)
    corrected = client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": "128", f"m{bp}_2": "82", f"q{headache}": "0",
                                                               "comment": "typo fixed"}, follow_redirects=True)
    assert "Your corrected data for March 2, 2026 has been sent to your doctor." in corrected.get_data(as_text=True)
    client.post("/account/logout")

    login(client, deployed.doctor.email)
    doctor_page = client.get(f"/monitoring/patients/{deployed.patient.id}").get_data(as_text=True)
    assert "corrected 1 time" in doctor_page and "Blood pressure: 118/76 mmHg" in doctor_page and "«fine»" in doctor_page
    with _sessions(app)() as session:
        q_id = session.scalar(select(Questionnaire.id))
    reviewed = client.post(f"/monitoring/patients/{deployed.patient.id}/days/{q_id}/reviewed", follow_redirects=True)
    assert "The day March 2, 2026 is marked as reviewed." in reviewed.get_data(as_text=True)  # not "2026-03-02"
    client.post("/account/logout")

    login(client, deployed.patient.email)
    page = client.get(f"/monitoring/days/{TODAY}").get_data(as_text=True)
    assert "Your doctor has reviewed this day" in page and "Send the corrected data" not in page
    late = client.post(f"/monitoring/days/{TODAY}", data={f"m{bp}": "120", f"m{bp}_2": "80", f"q{headache}": "0"})
    assert late.status_code == 409 and "already reviewed" in late.get_data(as_text=True)
    with _sessions(app)() as session:
        [answer] = [a for a in session.get(Questionnaire, q_id).answers if a.item_id == bp]
        assert (answer.value, answer.value2) == (128, 82)
    # A doctor who does not monitor the patient cannot mark their days.
    client.post("/account/logout")
    from tests.webui.conftest import make_user

    make_user(app, "doctor3@test.org", "doctor")
    login(client, "doctor3@test.org")
    assert client.post(f"/monitoring/patients/{deployed.patient.id}/days/{q_id}/reviewed").status_code == 403


def test_upper_thresholds_only_read_as_up_to_and_the_alert_task_shows_the_patients_comment(
        app, client, deployed, clock):  # noqa: F811
    import re

    login(client, deployed.doctor.email)
    response = client.post("/monitoring/plans/new", data={
        "patient_email": deployed.patient.email, "title": "BP", "start_date": TODAY, "invite_time": "19:00"})
    plan_path = response.headers["Location"]
    assert client.post(f"{plan_path}/items", data={
        "kind": "measurement", "code": "bp", "time_of_day": "morning", "period": "daily",
        "alert_high": "140", "alert_high2": "90"}).status_code == 302
    client.post("/account/logout")
    with _sessions(app)() as session:
        [item_id] = session.scalars(select(PlanItem.id))
    login(client, deployed.patient.email)
    assert client.post(f"/monitoring/days/{TODAY}", data={f"m{item_id}": "150", f"m{item_id}_2": "95",
                                                          "comment": "Утром кружилась голова"}).status_code == 302
    client.post("/account/logout")
    clock.current += timedelta(days=1)
    login(client, deployed.doctor.email)
    page = client.get(f"/monitoring/patients/{deployed.patient.id}").get_data(as_text=True)
    assert "…" not in page
    assert "thresholds up to 140 / up to 90" in page and "thresholds of the upper value up to 140" in page
    assert "(threshold: up to 140/90)" in page
    # The alert task: thresholds read the same, and the patient's comment is there.
    inbox = client.get("/tasks/?pathway=monitoring_cycle").get_data(as_text=True)
    tasks = re.findall(r'href="(/tasks/\d+/[0-9a-f-]{36})"', inbox)
    assert len(tasks) == 1
    task = client.get(tasks[0]).get_data(as_text=True)
    assert "(threshold: up to 140/90)" in task and "… –" not in task
    assert "Утром кружилась голова" in task
    # The list counts the open alerts the doctor can act on: one task, one alert.
    listing = client.get("/monitoring/patients").get_data(as_text=True)
    row = next(r for r in listing.split("<tr") if deployed.patient.last_name in r)
    assert '<span class="cp-alert-badge">1</span>' in row
