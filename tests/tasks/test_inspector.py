"""The instance inspector: a task inside a called process, the path taken and the end, automatic steps,
the list's patient and current-step columns, the data as a table with names and without addresses."""

from __future__ import annotations

from engine.db import transaction
from engine.workflow import complete_task
from engine.workflow.models import ProcessInstance
from tests.tasks.conftest import start, task_of
from tests.webui.conftest import login, make_user
from webui.tasks.core import actor_for


def test_a_task_inside_a_called_process_is_marked_on_the_call_and_on_the_called_diagram(app, client, cast, deploy):
    deploy("session_tail")
    deploy("with_session")
    manager = make_user(app, "manager@test.org", "manager")
    iid = start(app, "with_session", cast.doctor, cast.patient, doctor_id=cast.doctor.id,
                client_ip="203.0.113.9", consent_text="I agree " * 60)  # fmt: skip
    login(client, manager.email)

    html = client.get(f"/instances/{iid}").get_data(as_text=True)

    assert 'data-current="[&#34;session&#34;]"' in html  # the call activity on the main diagram
    # The address carries the reader's language, so a cached copy does not outlive a language switch.
    assert f'data-src="/instances/{iid}/diagram.bpmn?process=session_tail&amp;lang=en"' in html
    assert 'data-current="[&#34;consent&#34;]"' in html  # the task on the called one
    assert "Inside “Session”: the called process" in html
    assert "Automatic step:</span> Note the preparation" in html
    xml = client.get(f"/instances/{iid}/diagram.bpmn?process=session_tail").get_data(as_text=True)
    assert 'id="session_tail"' in xml and 'id="consent"' in xml
    table = html[html.index('id="instance-data"'):]
    assert f"Test Tess (#{cast.doctor.id})" in table and "203.0.113.9" not in html
    assert "I agree " * 30 not in html  # the long text is shortened, in the table and the raw JSON

    listing = client.get("/instances/").get_data(as_text=True)
    assert "<td>Test Tess</td>" in listing and "Give informed consent" in listing


def test_a_completed_instance_shows_the_path_taken_and_its_end(app, client, cast, deploy):
    deploy("session_tail")
    deploy("with_session")
    iid = start(app, "with_session", cast.doctor, cast.patient, doctor_id=cast.doctor.id)
    sessions = app.extensions["carepath"].sessions
    complete_task(sessions, actor_for(cast.patient), iid, task_of(app, cast.patient, iid), {"agree": True})
    complete_task(sessions, actor_for(cast.doctor), iid, task_of(app, cast.doctor, iid), {})
    with transaction(sessions) as session:
        assert session.get(ProcessInstance, iid).status == "completed"
    login(client, cast.doctor.email)

    html = client.get(f"/instances/{iid}").get_data(as_text=True)

    assert 'data-current="[]"' in html
    done = html[html.index('data-done="'):].split('"')[1]
    for element in ("start", "prepare", "session", "conclude", "end"):
        assert f"&#34;{element}&#34;" in done
    assert 'id="instance-ended"' in html
