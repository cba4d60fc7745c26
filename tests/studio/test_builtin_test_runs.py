"""Every built-in pathway walks to its end in the studio's test run with what the editor offers: the
model's own start data (test_start.json) and the usual results its connectors declare, including the
connectors of the processes it calls. Before this, every built-in pathway stopped at its first step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.composition import build_connectors
from engine.studio import sandbox, suggest
from engine.studio.files import START_SAMPLE
from engine.workflow import sync_folder
from engine.workflow.deploy import read_model_folder

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"
MODELS = sorted(p.parent.name for p in BPMN.glob("*/model.json"))


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    from engine.db import create_all, make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('library')}/library.sqlite3")
    create_all(engine)
    sessions = make_session_factory(engine)
    connectors = build_connectors()
    sync_folder(sessions, BPMN, connectors=connectors)
    return sessions, connectors


def test_every_builtin_model_has_its_start_data():
    assert MODELS, "no built-in models found"
    for model_id in MODELS:
        start = json.loads((BPMN / model_id / START_SAMPLE).read_text(encoding="utf-8"))
        assert isinstance(start, dict) and "patient_id" in start, model_id


@pytest.mark.parametrize("model_id", MODELS)
def test_builtin_model_walks_to_its_end_with_the_offered_samples(library, model_id):
    sessions, connectors = library
    files = read_model_folder(BPMN / model_id)
    with sessions() as session:
        offered = suggest.suggested_results(session, model_id, files, connectors)
        start = json.loads(files[START_SAMPLE])
        run = sandbox.test_run(session, model_id, files, connectors, start, offered["services"])
    errors = [step for step in run.steps if step["kind"] == "error"]
    assert run.status == "completed", errors or run.steps[-3:]
    walked = {step["kind"] for step in run.steps}
    assert {"service", "end"} <= walked
    assert all(step["result"] for step in run.steps if step["kind"] == "service"), "a service got no result"


def test_a_called_models_operators_are_offered_too(library):
    sessions, connectors = library
    with sessions() as session:
        offered = suggest.suggested_results(session, "consultation_duty", read_model_folder(BPMN / "consultation_duty"),
                                            connectors)
    assert "consultation_session" in offered["called"]
    assert offered["services"]["consultation_meeting"]["ends_at"] > offered["services"]["consultation_meeting"]["starts_at"]
