"""Models written in SpiffArena's style (tests/data/spiffarena_style): no lanes, group lanes, lane_owners,
*_ui.json / *-uischema.json files, $ref, options from task data, repeating sections, a call activity into
another model with an embedded subprocess, SpiffArena's script helpers; walked to the end through the pages."""

from __future__ import annotations

import shutil

import pytest

from engine.accounts import groups
from engine.accounts.models import User
from engine.db import transaction
from engine.workflow import instance_data
from tests.tasks.conftest import DATA, login, make_user, start
from tests.tasks.page_walk import my_tasks, status_of, walk
from webui.cli import main
from webui.tasks.core import actor_for

STYLE = DATA / "spiffarena_style"


@pytest.fixture
def people(app, registry):
    found = {
        "starter": make_user(app, "starter@test.org", "patient", first_name="Anna", last_name="Petrova"),
        "finance": make_user(app, "finance@test.org", "manager"),
        "reviewer": make_user(app, "reviewer@test.org", "doctor"),
        "outsider": make_user(app, "outsider@test.org", "doctor"),
        "admin": make_user(app, "admin@test.org", "admin"),
    }
    with transaction(app.extensions["carepath"].sessions) as session:
        groups.add_member(session, "Finance Team", "finance@test.org")
    return found


@pytest.fixture
def deployed(app, tmp_path, registry):
    for name in ("shared-ack", "intake"):
        shutil.copytree(STYLE / name, tmp_path / name)
    result = app.test_cli_runner().invoke(main, ["deploy", str(tmp_path)])
    assert result.exit_code == 0, result.output + result.stderr


def _as(client, user):
    client.post("/account/logout")
    login(client, user.email)


def test_a_spiffarena_style_request_goes_from_starter_to_group_to_named_owner_and_ends(app, client, people, deployed):
    iid = start(app, "intake", people["starter"], None)
    assert my_tasks(app, people["outsider"], iid) == []
    assert my_tasks(app, people["finance"], iid) == []  # the first task is in the initiator's lane
    _as(client, people["starter"])
    [page] = walk(app, client, people["starter"], iid)
    assert "Request for Anna Petrova" in page and "Budget: 1500" in page  # Jinja in title and description
    assert "<table>" in page and "<td>1500</td>" in page  # Markdown table with Jinja in the instructions
    assert 'value="blue"' in page and ">Green<" in page  # options from task data through $ref
    assert "autofocus" in page and 'name="reviewers-0-email"' in page and 'name="delivery-floor"' in page
    assert status_of(app, iid) == ("waiting", None)
    # The manual task in "Finance Team": the group's members only.
    assert my_tasks(app, people["outsider"], iid) == []
    _as(client, people["finance"])
    [manual] = walk(app, client, people["finance"], iid)
    assert "<strong>blue</strong>" in manual
    # "Reviewers" is named by lane_owners from the form's repeating section.
    assert my_tasks(app, people["finance"], iid) == [] and my_tasks(app, people["outsider"], iid) == []
    _as(client, people["reviewer"])
    walk(app, client, people["reviewer"], iid, override={"approved": "yes"})
    # The called model's task (in an embedded subprocess, no lane) is the starter's, with its own form.
    _as(client, people["starter"])
    [ack] = walk(app, client, people["starter"], iid)
    assert "Confirm blue" in ack and "I confirm the order" in ack
    assert status_of(app, iid) == ("completed", None)
    with app.extensions["carepath"].sessions() as session:
        data = instance_data(session, actor_for(session.get(User, people["admin"].id)), iid)
    assert data["reviewer"] == "reviewer@test.org"
    assert data["finance"] == ["finance@test.org"]
    assert data["starter"]["email"] == "starter@test.org" and "password_hash" not in data["starter"]
    assert data["acting"]["email"] == "starter@test.org"
    assert data["environment"] == "carepath"
    # A script of the first run (before the first wait) already sees its instance's id.
    assert data["info"] == {"process_instance_id": iid, "process_model_identifier": "intake"}
    assert data["reviewers"] == [{"email": "reviewer@test.org", "note": "Written by hand"}]
    assert data["delivery"] == {"building": "Written by hand", "floor": 3}
    assert data["comments"] == ["Written by hand"] and data["confirmed"] is True


def test_a_form_that_cannot_render_is_refused_at_deploy_with_element_file_and_keyword(app, tmp_path, registry):
    shutil.copytree(STYLE / "shared-ack", tmp_path / "shared-ack")
    ui = tmp_path / "shared-ack" / "ack-uischema.json"
    ui.write_text('{"confirmed": {"ui:widget": "color"}}')
    result = app.test_cli_runner().invoke(main, ["deploy", str(tmp_path / "shared-ack")])
    assert result.exit_code == 1
    line = next(line for line in result.stderr.splitlines() if "ack_task" in line)
    assert "file ack-schema.json" in line and "ui:widget" in line and "confirmed" in line


def test_add_another_asks_for_one_more_entry_without_completing(app, client, people, deployed):
    iid = start(app, "intake", people["starter"], None)
    _as(client, people["starter"])
    [guid] = my_tasks(app, people["starter"], iid)
    page = client.post(f"/tasks/{iid}/{guid}", data={"reviewers-0-email": "a@test.org", "cp_add_entry": "reviewers"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="reviewers-1-email"' in html and 'value="a@test.org"' in html
    assert my_tasks(app, people["starter"], iid) == [guid]
