"""The dashboard: a step's target from its deadline timer in the BPMN, one unit per chart in the reader's
words, whole names, and legends."""

from __future__ import annotations

from datetime import timedelta

from engine.studio.step_targets import parse_duration, step_targets
from engine.workflow import complete_task
from tests.tasks.conftest import start, task_of
from tests.webui.conftest import login, make_user
from webui.tasks.core import actor_for


def test_durations_parse_as_pathways_write_them():
    assert parse_duration('"P3D"') == timedelta(days=3)
    assert parse_duration('"P1DT12H"') == timedelta(days=1, hours=12)
    assert parse_duration("PT30M") == timedelta(minutes=30)
    assert parse_duration('"soon"') is None


def test_the_deadline_timer_is_the_steps_target_and_a_reminder_is_not(app, deploy):
    deploy("escalation")  # review: a reminder after a day (non-interrupting), overdue after three days
    with app.extensions["carepath"].sessions() as session:
        assert step_targets(session, "escalation") == {"review": timedelta(days=3)}


def test_the_dashboard_shows_the_target_in_days_with_a_legend_and_whole_names(app, client, cast, deploy):
    deploy("escalation")
    analyst = make_user(app, "analyst@test.org", "analyst")
    iid = start(app, "escalation", cast.doctor, cast.patient, doctor_id=cast.doctor.id)
    complete_task(app.extensions["carepath"].sessions, actor_for(cast.doctor), iid, task_of(app, cast.doctor, iid),
                  {"decision": "approve"})  # fmt: skip
    login(client, analyst.email)

    html = client.get("/studio/dashboard").get_data(as_text=True)

    assert "target: 3 d" in html and 'class="target-line"' in html
    assert "A dashed line marks the step" in html
    assert " h (n=1)" not in html  # the chart with a target in days speaks days


def test_a_short_step_in_a_chart_of_days_is_not_written_as_zero(app):
    from webui.studio.durations import DAYS, in_unit

    with app.test_request_context():
        assert in_unit(1.2, DAYS) == "under 0.1 d"
        assert in_unit(0, DAYS) == "0 d"
        assert in_unit(36, DAYS) == "1.5 d"
