"""Fixtures for the task pages: the web app and cast of tests/webui, models deployed through the same
function `carepath deploy` uses, and shortcuts to start instances and find tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.composition import build_connectors
from engine.workflow import ConnectorRegistry, inbox, start_instance
from tests.webui import conftest as webui_fixtures
from tests.webui.conftest import PASSWORD, login, make_user  # noqa: F401  (re-exported for tests/api)
from webui.tasks.core import CONNECTORS_KEY, actor_for
from webui.tasks.deploy import deploy_path

DATA = Path(__file__).resolve().parents[1] / "data"
SYMPTOM_CHECK = DATA / "spiffarena_style" / "symptom-check"

# The web app and cast of tests/webui, shared here (fixtures are found by name in a conftest).
app, cast, client, settings = webui_fixtures.app, webui_fixtures.cast, webui_fixtures.client, webui_fixtures.settings


class Flaky:
    """A `book_slot` connector that fails until told to work (a provider that was down)."""

    def __init__(self) -> None:
        self.working = False

    def __call__(self, _session: Any, _context: Any, _params: dict[str, Any]) -> dict[str, Any]:
        if not self.working:
            raise RuntimeError("the booking service does not answer")
        return {"slot": 7}


@pytest.fixture
def flaky() -> Flaky:
    return Flaky()


@pytest.fixture
def registry(app: Flask, flaky: Flaky) -> ConnectorRegistry:
    """The app's registry (as composed for production) plus the test-only `book_slot`."""
    composed = build_connectors(app.extensions["carepath"].settings)
    composed.register("book_slot", flaky)
    app.extensions[CONNECTORS_KEY] = composed
    return composed


@pytest.fixture
def deploy(app: Flask, registry: ConnectorRegistry):
    def _deploy(path: Path | str) -> None:
        folder = Path(path) if isinstance(path, Path) else DATA / "workflow" / path
        deploy_path(app.extensions["carepath"].sessions, folder, registry)

    return _deploy


def start(app: Flask, model_id: str, starter: Any, patient: Any, **data: Any) -> int:
    return start_instance(
        app.extensions["carepath"].sessions, model_id, actor_for(starter), data=data,
        patient_id=patient.id if patient is not None else None, connectors=app.extensions[CONNECTORS_KEY],
    )  # fmt: skip


def task_of(app: Flask, user: Any, instance_id: int) -> str:
    """The guid of the one task `user` has in this instance."""
    with app.extensions["carepath"].sessions() as session:
        guids = [i.task_guid for i in inbox(session, actor_for(user)) if i.instance_id == instance_id]
    assert len(guids) == 1, guids
    return guids[0]


def instance_row(app: Flask, instance_id: int) -> Any:
    from engine.workflow.models import ProcessInstance

    with app.extensions["carepath"].sessions() as session:
        row = session.get(ProcessInstance, instance_id)
        session.expunge(row)
        return row
