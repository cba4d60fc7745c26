"""A request that loses SQLite's snapshot race is run again from the start, and then succeeds."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from engine import audit
from engine.audit import AuditEntry
from engine.config import load_settings
from engine.db import create_all, transaction
from webui import create_app
from webui.db import db


def test_a_request_whose_sqlite_snapshot_went_stale_is_retried_and_writes_once(tmp_path):
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_DEFAULT_LOCALE": "en"})
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, settings=settings)
    create_all(app.extensions["carepath"].engine)
    sessions = app.extensions["carepath"].sessions
    attempts = []

    def someone_else_commits() -> None:
        with transaction(sessions) as other:
            audit.record(other, "login_failed", actor_id=None, ip="10.0.0.2")

    @app.route("/race", methods=["POST"])
    def race() -> str:
        attempts.append(1)
        db().scalar(select(func.count(AuditEntry.id)))  # the request's read snapshot starts here
        if len(attempts) == 1:
            writer = threading.Thread(target=someone_else_commits)
            writer.start()
            writer.join()
        audit.record(db(), "login_failed", actor_id=None, ip="10.0.0.1")
        db().commit()
        return "ok"

    response = app.test_client().post("/race")
    assert response.status_code == 200 and len(attempts) == 2
    with transaction(sessions) as session:
        ips = sorted(session.scalars(select(AuditEntry.ip)))
    assert ips == ["10.0.0.1", "10.0.0.2"]
