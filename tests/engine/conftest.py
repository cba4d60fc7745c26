"""Workflow-engine fixtures: a connector registry and `deploy(name)` for the models in tests/data/workflow."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.db import transaction
from engine.workflow import ConnectorRegistry, deploy_model
from engine.workflow.connectors import echo
from engine.workflow.models import ProcessModelVersion
from tests.engine.helpers import model_files


@pytest.fixture
def connectors() -> ConnectorRegistry:
    registry = ConnectorRegistry()
    registry.register("echo", echo)
    registry.register("meeting_link", lambda _s, ctx, p: {"url": f"https://meet.example/{p['room']}", "for": ctx.patient_id})
    return registry


@pytest.fixture
def deploy(sessions: sessionmaker[Session], connectors: ConnectorRegistry) -> Callable[..., ProcessModelVersion]:
    def _deploy(name: str, model_id: str | None = None, **replace: str) -> ProcessModelVersion:
        with transaction(sessions) as session:
            return deploy_model(session, model_id or name, model_files(name, **replace), connectors=connectors)

    return _deploy
