"""Admins manage work groups; a task in a lane named after a group reaches its members only."""

from __future__ import annotations

from tests.tasks.conftest import DATA, login, make_user, start
from tests.tasks.page_walk import my_tasks, status_of, walk
from webui.cli import main


def test_an_admin_adds_a_member_and_the_group_lane_task_reaches_them(app, client, cast, registry):
    result = app.test_cli_runner().invoke(main, ["deploy", str(DATA / "spiffarena" / "lanes")])
    assert result.exit_code == 0, result.stderr
    starter = make_user(app, "starter@test.org", "analyst")
    finance = make_user(app, "finance@test.org", "manager")
    iid = start(app, "lanes", starter, None)
    login(client, starter.email)
    walk(app, client, starter, iid)
    assert my_tasks(app, finance, iid) == []  # "group1" has nobody yet
    client.post("/account/logout")
    login(client, cast.admin.email)
    page = client.post("/admin/groups/add", data={"group": "group1", "email": "nobody@test.org"}, follow_redirects=True)
    assert "nobody@test.org" in page.get_data(as_text=True) and my_tasks(app, finance, iid) == []
    client.post("/admin/groups/add", data={"group": "group1", "email": finance.email})
    assert "finance@test.org" in client.get("/admin/groups").get_data(as_text=True)
    assert len(my_tasks(app, finance, iid)) == 1
    client.post("/account/logout")
    login(client, finance.email)
    assert client.get("/admin/groups").status_code == 403
    walk(app, client, finance, iid)
    client.post("/account/logout")
    login(client, starter.email)
    walk(app, client, starter, iid)
    assert status_of(app, iid) == ("completed", None)
