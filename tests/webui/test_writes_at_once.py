"""Writing POST views take SQLite's write lock at their first statement (webui.db.writes_at_once), their
GET pages and unmarked views do not; every writing view of the accounts area is marked; twenty people
logging in at once all get in."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEntry
from engine.config import load_settings
from engine.db import create_all
from tests.webui.conftest import PASSWORD, make_user
from webui import create_app
from webui.db import WRITES_AT_ONCE, db, writes_at_once


def another_writer_gets_in(path: str) -> bool:
    """Whether another connection could take the write lock right now (without waiting)."""
    outcome = []

    def attempt() -> None:
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            outcome.append(True)
        except sqlite3.OperationalError:
            outcome.append(False)
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(30)
    return outcome[0]


@pytest.fixture
def sqlite_app(tmp_path):
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_DEFAULT_LOCALE": "en"})
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, settings=settings)
    create_all(app.extensions["carepath"].engine)
    path = app.extensions["carepath"].engine.url.database
    seen: dict[str, bool] = {}

    def handler() -> str:
        db().scalar(select(func.count(AuditEntry.id)))  # the request's first statement
        seen["other writer got in"] = another_writer_gets_in(path)
        return "ok"

    app.add_url_rule("/marked", "marked", writes_at_once(handler), methods=["GET", "POST"])
    app.add_url_rule("/plain", "plain", lambda: handler(), methods=["POST"])
    return app, seen


@pytest.mark.parametrize(("method", "path", "locked"), [
    ("post", "/marked", True),
    ("get", "/marked", False),
    ("post", "/plain", False),
])  # fmt: skip
def test_only_a_marked_views_post_takes_the_write_lock_at_its_first_statement(sqlite_app, method, path, locked):
    app, seen = sqlite_app

    response = getattr(app.test_client(), method)(path)

    assert response.status_code == 200
    assert seen["other writer got in"] is not locked


def test_every_writing_view_of_the_accounts_area_is_marked(app):
    unmarked = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in {"auth", "cabinet"} and "POST" in (rule.methods or ())
        and not getattr(app.view_functions[rule.endpoint], WRITES_AT_ONCE, False)
    ]  # fmt: skip
    assert unmarked == []


PEOPLE = 20


def test_twenty_people_logging_in_at_once_all_get_in(app):
    for n in range(PEOPLE):
        make_user(app, f"person{n}@example.org", "patient")
    start = threading.Barrier(PEOPLE)
    statuses: dict[int, int] = {}

    def person(n: int) -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/account/login", data={"email": f"person{n}@example.org", "password": PASSWORD})
        statuses[n] = response.status_code

    threads = [threading.Thread(target=person, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == dict.fromkeys(range(PEOPLE), 302)
    with app.extensions["carepath"].sessions() as session:
        logins = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "login"))
    assert logins == PEOPLE
