"""A patient's cabinet offers what they can start, by the platform's own start routes: booking in the registry,
a consultation application, a duty doctor, and each pathway a patient may start themself. A new patient
(nothing waiting) sees them first; with tasks waiting they are still on the page, below the tasks."""

from __future__ import annotations

import re

from tests.tasks.conftest import SYMPTOM_CHECK, login, start


def _cabinet(client) -> str:
    response = client.get("/cabinet/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_new_patient_sees_what_they_can_start(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    deploy("start_form")
    login(client, cast.patient.email)

    page = _cabinet(client)

    assert "What would you like to do?" in page and "Waiting for you" not in page
    for href in ('href="/registry/"', 'href="/consultations/apply"', 'href="/consultations/duty"',
                 'href="/tasks/start/start_form"'):
        assert href in page, href
    # A pathway without a start form starts by the start page's own POST.
    form = re.search(r'<form method="post" action="/tasks/start">.*?</form>', page, re.S)
    assert form is not None and re.search(r'name="pathway" value="[^"]*symptom[^"]*"', form.group(0))
    started = client.post("/tasks/start", data={"pathway": re.search(r'name="pathway" value="([^"]+)"', form.group(0)).group(1)})
    assert started.status_code == 302


def test_the_actions_stay_below_waiting_tasks(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    start(app, _symptom_model(app), cast.patient, cast.patient)
    login(client, cast.patient.email)

    page = _cabinet(client)

    assert page.index("Waiting for you") < page.index("Start something new")
    assert 'href="/consultations/apply"' in page


def test_staff_and_unconfirmed_accounts_get_no_patient_actions(app, client, cast):
    login(client, cast.doctor.email)
    assert 'href="/consultations/apply"' not in _cabinet(client)
    client.post("/account/logout")
    login(client, cast.outsider.email)
    assert 'href="/consultations/apply"' not in _cabinet(client)


def _symptom_model(app) -> str:
    from sqlalchemy import select

    from engine.workflow.models import ProcessModel

    with app.extensions["carepath"].sessions() as session:
        return session.scalars(select(ProcessModel.id).where(ProcessModel.id.like("%symptom%"))).one()
