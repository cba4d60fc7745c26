"""With the full demo loaded (as `carepath demo` does), every page each demo person can reach from the menu,
and the pages those link to, answers without a server error."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine import roles
from engine.config import load_settings
from engine.db import create_all
from engine.demo import demo_email
from webui import create_app
from webui.cli import _load_demo

PASSWORD = "demo password for the crawl"
SKIP = ("/static", "/vendor", "/forms-static", "/account/logout", "/studio/vendor")
DOWNLOADS = (".pdf", ".ics", ".csv", ".zip", ".json", ".bpmn", ".png")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("demo")
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(instance), "CAREPATH_DEMO_PASSWORD": PASSWORD,
                              "CAREPATH_DEFAULT_LOCALE": "ru"})
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}, settings=settings)
    create_all(app.extensions["carepath"].engine)
    with app.app_context():
        _load_demo()
    return app


def links(html: str) -> set[str]:
    return {link for link in re.findall(r'href="(/[^"#?]*)"', html)
            if not link.startswith(SKIP) and not link.endswith(DOWNLOADS)}


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_page_a_demo_person_reaches_answers_without_a_server_error(demo_app, role):
    client: FlaskClient = demo_app.test_client()
    home = client.post("/account/login", data={"email": demo_email(role), "password": PASSWORD},
                       follow_redirects=True)
    assert home.status_code == 200 and "/account/logout" in home.get_data(as_text=True)
    frontier, seen, errors = links(home.get_data(as_text=True)), set(), []
    for _depth in range(2):
        found: set[str] = set()
        for path in sorted(frontier - seen):
            seen.add(path)
            response = client.get(path, follow_redirects=True)
            if response.status_code >= 500:
                errors.append(f"{path}: {response.status_code}")
            found |= links(response.get_data(as_text=True))
        frontier = found
    assert len(seen) >= 5
    assert errors == []


def test_every_open_demo_alert_has_the_doctors_review_task(demo_app):
    """The doctor's list counts open alerts; each must be one the doctor can act on (a review task)."""
    from sqlalchemy import select

    from engine.monitoring.models import ALERT_OPEN, Alert
    from engine.workflow.models import PendingTask

    with demo_app.extensions["carepath"].sessions() as session:
        open_alerts = session.scalars(select(Alert).where(Alert.status == ALERT_OPEN)).all()
        reviews = session.scalars(select(PendingTask).where(PendingTask.process_model_id == "monitoring_cycle",
                                                            PendingTask.task_name == "review")).all()
        assert len(open_alerts) == len(reviews)


def test_the_demo_duty_doctor_answers_on_topics_of_their_own_specialty(demo_app):
    """The demo's duty doctor is a neurologist: their topics are a neurologist's, not a gynecologist's."""
    from sqlalchemy import select

    from engine.consultations.demo import duty_topics
    from engine.consultations.models import DutyDoctor
    from engine.registry.models import Doctor, DoctorPost, Specialty

    with demo_app.extensions["carepath"].sessions() as session:
        duties = session.scalars(select(DutyDoctor)).all()
        assert duties
        for duty in duties:
            doctor = session.get(Doctor, duty.doctor_id)
            specialties = set(session.scalars(select(Specialty.name).join(DoctorPost).where(DoctorPost.doctor_id == doctor.id)))
            assert specialties == {"Врач-невролог"}
            assert duty.topics == duty_topics(session, doctor)
            assert "инсульт" in duty.topics and "гинеколог" not in duty.topics


def test_the_demo_has_weeks_of_consultations_walked_once_through_the_pathways(demo_app):
    """The analyst's dashboard has figures on a fresh demo: consultations of routes 1-3 over four weeks, most
    finished, their steps timed when the people acted, and tickets booked meanwhile; a second load adds
    nothing."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from engine.clock import as_utc, now
    from engine.consultations.models import Consultation
    from engine.workflow.models import InstanceEvent, ProcessInstance, TaskHistory

    def counts():
        with demo_app.extensions["carepath"].sessions() as session:
            return dict(session.execute(select(ProcessInstance.status, func.count()).where(
                ProcessInstance.process_model_id.like("consultation_%")).group_by(ProcessInstance.status)).all())

    first = counts()
    assert first["completed"] >= 12 and first["waiting"] >= 2 and not first.get("error")
    with demo_app.app_context():
        _load_demo()
    assert counts() == first
    with demo_app.extensions["carepath"].sessions() as session:
        routes = set(session.scalars(select(Consultation.route)))
        times = [as_utc(t) for t in session.scalars(select(TaskHistory.completed_at))]
        timers = session.scalar(select(func.count()).where(InstanceEvent.kind == "timer"))
        started = [as_utc(t) for t in session.scalars(select(ProcessInstance.created_at).where(
            ProcessInstance.process_model_id.like("consultation_%")))]
    assert routes == {"application", "duty", "referral"}
    assert max(times) <= now() and max(times) - min(times) > timedelta(days=21)  # weeks, none in the future
    assert min(started) > now() - timedelta(days=29)
    assert timers > 0  # reminders and the escalation fired at their moments, as the timer worker fires them
    with demo_app.extensions["carepath"].sessions() as session:
        booked = session.scalars(select(ProcessInstance.created_at).where(
            ProcessInstance.process_model_id == "ticket_booking", ProcessInstance.status == "completed")).all()
        courses = session.scalar(select(func.count()).where(
            ProcessInstance.process_model_id == "rehab_course", ProcessInstance.status == "completed"))
    assert len(booked) >= 5 and min(as_utc(t) for t in booked) < now() - timedelta(days=21)
    assert courses >= 2  # rehabilitation courses planned, reminded, attended and finished
    with demo_app.extensions["carepath"].sessions() as session:
        days = session.scalar(select(func.count()).where(
            ProcessInstance.process_model_id == "monitoring_cycle", ProcessInstance.status == "completed"))
        reviewed = session.scalar(select(func.count()).select_from(TaskHistory).join(
            ProcessInstance, ProcessInstance.id == TaskHistory.instance_id).where(
            TaskHistory.task_name == "review", ProcessInstance.process_model_id == "monitoring_cycle"))
    assert days >= 10 and reviewed >= 2  # monitoring days answered, alerts reviewed by the doctor


def test_the_demo_has_the_information_pages_the_other_pages_link_to(demo_app):
    """How to book, how to join and the contacts exist on a fresh demo, so the menu, the registry's and the
    device check's links and the /info/ list show them, in Russian by default; a second load keeps them."""
    from sqlalchemy import func, select

    from engine.infopages.models import InfoPageVersion

    client: FlaskClient = demo_app.test_client()
    listing = client.get("/info/").get_data(as_text=True)
    for slug, title in (("how-to-book", "Как записаться на приём"), ("contacts", "Контакты"),
                        ("how-to-join", "Как подключиться к онлайн-консультации")):  # fmt: skip
        assert f'id="info-link-{slug}"' in listing and title in listing
        assert client.get(f"/info/{slug}").status_code == 200
    assert 'id="how-to-book-link"' in client.get("/registry/").get_data(as_text=True)
    assert "один час" in client.get("/info/how-to-book").get_data(as_text=True)  # the booking's real hold
    with demo_app.app_context():
        _load_demo()
    with demo_app.extensions["carepath"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(InfoPageVersion)) == 3
