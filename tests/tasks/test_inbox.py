"""The inbox: only my tasks, overdue first, counts and filters; built from the pending-task index."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.tasks.conftest import SYMPTOM_CHECK, start, task_of
from tests.webui.conftest import login, make_user


def _links(html: str) -> list[str]:
    return re.findall(r'href="/tasks/(\d+/[0-9a-f-]{36})"', html)


def test_the_inbox_lists_only_my_tasks(app, client, cast, deploy):
    deploy("review")
    mine = start(app, "review", cast.doctor, cast.patient)
    theirs = start(app, "review", cast.doctor, cast.other_patient)
    login(client, cast.patient.email)
    html = client.get("/tasks/").get_data(as_text=True)
    assert [link.split("/")[0] for link in _links(html)] == [str(mine)]
    assert "Apply for a consultation" in html
    assert str(theirs) not in [link.split("/")[0] for link in _links(html)]


def test_overdue_tasks_come_first_and_are_marked(app, client, cast, deploy, clock):
    deploy("escalation")
    deploy("review")
    colleague = make_user(app, "colleague@test.org", "doctor")
    # An undated doctor task (review of the application), then two dated ones started two days apart.
    undated = start(app, "review", cast.doctor, cast.patient)
    guid = task_of(app, cast.patient, undated)
    login(client, cast.patient.email)
    client.post(f"/tasks/{undated}/{guid}", data={"complaint": "My back hurts"})  # moves it to the doctor
    client.post("/account/logout")
    early = start(app, "escalation", cast.doctor, cast.patient, doctor_id=cast.doctor.id)
    clock.advance(days=2)
    late = start(app, "escalation", cast.doctor, cast.other_patient, doctor_id=cast.doctor.id)
    start(app, "escalation", colleague, cast.patient, doctor_id=colleague.id)  # the colleague's, not mine

    login(client, cast.doctor.email)
    html = client.get("/tasks/").get_data(as_text=True)
    order = [int(link.split("/")[0]) for link in _links(html)]
    assert order == [early, late, undated]
    assert "1 task is overdue." in html
    first_row = html.split("<tbody>")[1].split("</tr>")[0]
    assert "cp-overdue" in first_row and "Overdue" in first_row
    second_row = html.split("<tbody>")[1].split("</tr>")[1]
    assert "cp-overdue" not in second_row


def test_counts_per_pathway_and_the_filters_narrow_the_list(app, client, cast, deploy):
    deploy("escalation")
    deploy(SYMPTOM_CHECK)
    a = start(app, "escalation", cast.doctor, cast.patient, doctor_id=cast.doctor.id)
    b = start(app, "escalation", cast.doctor, cast.other_patient, doctor_id=cast.doctor.id)
    login(client, cast.doctor.email)
    html = client.get("/tasks/").get_data(as_text=True)
    assert re.search(r'pathway=escalation[^>]*>\s*escalation\s*<span class="badge">2</span>', html)
    html = client.get(f"/tasks/?patient={cast.other_patient.id}").get_data(as_text=True)
    assert [int(x.split("/")[0]) for x in _links(html)] == [b]
    html = client.get("/tasks/?pathway=symptom_check").get_data(as_text=True)
    assert _links(html) == [] and "Nothing is waiting for you." in html
    assert a


def test_a_patient_cannot_filter_by_another_patient(app, client, cast, deploy):
    deploy("review")
    mine = start(app, "review", cast.doctor, cast.patient)
    login(client, cast.patient.email)
    html = client.get(f"/tasks/?patient={cast.other_patient.id}").get_data(as_text=True)
    # The parameter is ignored for patients: they only ever see their own tasks anyway.
    assert [int(x.split("/")[0]) for x in _links(html)] == [mine]


def test_an_unconfirmed_account_is_sent_to_confirm_first(client, cast):
    login(client, cast.outsider.email)
    response = client.get("/tasks/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cabinet/")


def test_the_inbox_moves_with_time(app, client, cast, deploy, clock):
    deploy("escalation")
    start(app, "escalation", cast.doctor, cast.patient, doctor_id=cast.doctor.id)
    login(client, cast.doctor.email)
    assert "overdue" not in client.get("/tasks/").get_data(as_text=True).split("<tbody>")[1]
    clock.advance(timedelta(days=1, minutes=1))
    assert "Overdue" in client.get("/tasks/").get_data(as_text=True).split("<tbody>")[1]


def test_the_cabinet_home_shows_the_tasks_waiting_for_the_patient(app, client, cast, deploy):
    deploy("review")
    mine = start(app, "review", cast.doctor, cast.patient)
    login(client, cast.patient.email)
    html = client.get("/cabinet/").get_data(as_text=True)
    assert "Waiting for you" in html
    assert f'href="/tasks/{mine}/{task_of(app, cast.patient, mine)}"' in html
    assert "Apply for a consultation" in html
    assert "Nothing is assigned yet" not in html
    client.post("/account/logout")
    login(client, cast.other_patient.email)
    html = client.get("/cabinet/").get_data(as_text=True)
    assert "Waiting for you" not in html and "Nothing is assigned yet" in html


def test_on_a_phone_each_task_is_one_block_with_its_values_named(app, client, cast, deploy):
    deploy("escalation")
    start(app, "escalation", cast.doctor, cast.patient, doctor_id=cast.doctor.id)
    login(client, cast.doctor.email)
    html = client.get("/tasks/").get_data(as_text=True)
    # The shared stacking pattern (style.css, table.cp-stack): the header is hidden on a phone, so a cell
    # whose value is not self-explaining names its column.
    assert re.search(r'<table class="[^"]*\bcp-stack\b[^"]*"', html)
    row = html.split("<tbody>")[1].split("</tr>")[0]
    assert 'data-label="Patient"' in row and 'data-label="Due"' in row
