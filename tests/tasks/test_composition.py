"""The app's connector registry: standard operators, and packages that add theirs with one line."""

from __future__ import annotations

import types

import pytest

from engine import composition
from engine.workflow import InstanceContext
from tests.webui.conftest import outbox


def _context(**data):
    return InstanceContext(instance_id=5, process_model_id="m", version_id=1, patient_id=None, task_name="notify",
                           data=data)


def test_the_standard_operators_are_registered():
    registry = composition.build_connectors()
    assert {"send_notification", "echo"} <= registry.names()


def test_send_notification_queues_a_message_to_the_person_named_by_role(app, cast):
    sessions = app.extensions["carepath"].sessions
    with sessions.begin() as session:
        result = composition.send_notification(
            session, _context(patient_id=cast.patient.id),
            {"kind": "rehab_registered", "to": "patient", "context": {"link": "https://x/rehab"},
             "dedupe_key": "rehab:5"},
        )  # fmt: skip
    assert result["queued"] is True
    [message] = outbox(app, "rehab_registered")
    assert message.recipient == cast.patient.email and message.user_id == cast.patient.id
    assert message.context["link"] == "https://x/rehab" and message.locale == "en"


def test_send_notification_refuses_an_unknown_kind_or_recipient(app, cast):
    with app.extensions["carepath"].sessions.begin() as session:
        with pytest.raises(composition.ConnectorError, match="no email template"):
            composition.send_notification(session, _context(), {"kind": "no_such_kind", "to": cast.patient.id})
        with pytest.raises(composition.ConnectorError, match="no account"):
            composition.send_notification(session, _context(), {"kind": "rehab_registered", "to": "doctor"})


def test_a_listed_package_registers_its_operators_and_a_missing_one_is_skipped(monkeypatch):
    module = types.ModuleType("tests_fake_connectors")
    module.register = lambda registry: registry.register("book_slot", lambda s, c, p: {"slot": 1})
    monkeypatch.setitem(__import__("sys").modules, "tests_fake_connectors", module)
    monkeypatch.setattr(composition, "REGISTRARS", ("tests_fake_connectors", "engine.not_built_yet.connectors"))
    assert "book_slot" in composition.build_connectors().names()
