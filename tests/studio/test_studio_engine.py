"""The studio's engine side on real databases: validation refuses bad input with the element named,
nothing is deployed; the diff names elements; migration moves an instance when the completed part is the
same and refuses (with the reason, changing nothing) when it is not; export/import round-trips."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel
from sqlalchemy import select

from engine.audit import AuditEntry
from engine.db import transaction
from engine.studio import diff, migrate, service, transfer, validate
from engine.studio.models import InstanceMigration
from engine.workflow import ConnectorRegistry, latest_version, start_instance, sync_folder
from engine.workflow.deploy import read_model_folder
from engine.workflow.models import InstanceEvent, ProcessInstance
from webui.messages import stored_message

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"
MODEL = "consultation_duty"


@pytest.fixture
def world(sessions):
    from engine.composition import build_connectors

    names = build_connectors().names()
    stubs = ConnectorRegistry()
    results = {"consultation_open": {"booked": True, "consultation_id": 1, "doctor_id": 2},
               "consultation_meeting": {"remind_at": "2099-01-01T00:00:00+00:00", "opens_at": "2099-01-01T00:00:00+00:00",
                                        "starts_at": "2099-01-01T00:00:00+00:00", "ends_at": "2099-01-01T01:00:00+00:00",
                                        "rate_until": "2099-01-02T00:00:00+00:00", "consent_version": "1", "consent_locale": "en"}}  # fmt: skip
    for name in names:
        stubs.register(name, lambda _s, _c, _p, name=name: dict(results.get(name, {})))
    sync_folder(sessions, BPMN, connectors=stubs)
    return sessions, stubs, read_model_folder(BPMN / MODEL)


def test_validation_names_the_unsafe_script_and_deploys_nothing(world):
    sessions, stubs, files = world
    bad = dict(files)
    bad[f"{MODEL}.bpmn"] = bad[f"{MODEL}.bpmn"].replace('doctor_id = opened["doctor_id"]', "import socket")
    with transaction(sessions) as session:
        report = validate.validate(session, MODEL, bad, stubs)
        assert not report.ok and "set_ids" in report.elements
        with pytest.raises(service.NotDeployed):
            service.deploy(session, MODEL, bad, None, stubs)
        assert latest_version(session, MODEL).number == 1


@pytest.mark.parametrize(
    ("path", "text", "words"),
    [
        (f"{MODEL}.bpmn", "<bpmn:definitions", "Line"),
        # A JSON file no task names is no form (the property says which file is one), but it must parse.
        ("forms/x.json", '{"type": ', "JSON"),
        ("forms/big.json", "x" * (3 * 1024 * 1024), "larger than"),
    ],
)
def test_broken_xml_a_form_that_is_no_schema_and_a_huge_file_are_refused(world, path, text, words):
    sessions, stubs, files = world
    with transaction(sessions) as session:
        report = validate.validate(session, MODEL, {**files, path: text}, stubs)
        assert not report.ok
        assert any(
            f.file == path and words in (f.message % f.params if f.params else f.message)
            for f in report.findings
        )


def _second_version(sessions, stubs, files, old: str, new: str) -> object:
    changed = {**files, f"{MODEL}.bpmn": files[f"{MODEL}.bpmn"].replace(old, new)}
    with transaction(sessions) as session:
        version, was_changed = service.deploy(session, MODEL, changed, 7, stubs)
        assert was_changed and version.number == 2
        return version.id


def test_an_instance_moves_when_only_names_changed_and_the_move_is_recorded(world):
    sessions, stubs, files = world
    instance_id = start_instance(sessions, MODEL, None, data={"booking": {}}, patient_id=5, connectors=stubs)
    _second_version(sessions, stubs, files, 'name="Take the ids"', 'name="Take the consultation ids"')
    with transaction(sessions) as session:
        new = latest_version(session, MODEL)
        outcome = migrate.migrate_instance(session, instance_id, new, 7)
        assert outcome.migrated, outcome.reasons
    with sessions() as session:
        assert session.get(ProcessInstance, instance_id).version_id == new.id
        record = session.query(InstanceMigration).one()
        assert (record.instance_id, record.migrated_by) == (instance_id, 7)
        [event] = session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "migrated"))
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        text = stored_message(event.detail)
    assert text.startswith("Moved from version 1 to 2; now at: ") and "_" not in text, text


def test_an_instance_whose_completed_part_changed_is_refused_with_the_reason(world):
    sessions, stubs, files = world
    instance_id = start_instance(sessions, MODEL, None, data={"booking": {}}, patient_id=5, connectors=stubs)
    with sessions() as session:
        before = session.get(ProcessInstance, instance_id)
        old_version, old_revision = before.version_id, before.revision
    _second_version(
        sessions,
        stubs,
        files,
        'consultation_id = opened["consultation_id"]',
        'consultation_id = opened["consultation_id"] + 0',
    )
    with transaction(sessions) as session:
        outcome = migrate.migrate_instance(session, instance_id, latest_version(session, MODEL), 7)
    assert not outcome.migrated
    assert outcome.reasons[0] == ("The step “%(step)s”, already done, works differently in the new version.",
                                  {"step": "Take the ids"})
    with sessions() as session:
        after = session.get(ProcessInstance, instance_id)
        assert (after.version_id, after.revision) == (old_version, old_revision)
        [event] = session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "migration_refused"))
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "process_migration_refused")).one()
    assert event.instance_id == instance_id and entry.details["from_version"] == 1
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        text = stored_message(event.detail)
    assert text == "Not moved from version 1 to 2: The step “Take the ids”, already done, works differently in the new version."
    assert "set_ids" not in text


def test_the_diff_names_added_and_changed_elements_but_not_moved_shapes():
    files = read_model_folder(BPMN / MODEL)
    changed = (
        files[f"{MODEL}.bpmn"]
        .replace('name="Take the ids"', 'name="Ids"')
        .replace('x="560" y="500"', 'x="570" y="500"')
    )
    result = diff.diff_files(files, {**files, f"{MODEL}.bpmn": changed, "forms/new.json": "{}"})
    assert [e.id for e in result.changed] == ["set_ids"]
    assert result.files_added == ["forms/new.json"] and not result.added and not result.removed


def test_export_and_spiffarena_import_round_trip_the_files():
    files = read_model_folder(BPMN / "consultation_session")
    data = transfer.export_spiffarena("consultation_session", files, "Session", "", "consultation_session")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "consultation_session/process_model.json" in names and "consultation_session/consent.json" in names
    imported, manifest = transfer.import_zip(data)
    assert manifest["process"] == "consultation_session"
    assert {p for p in imported if p != "model.json"} == {p for p in files if p != "model.json"}


def test_a_zip_that_leaves_the_folder_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.bpmn", "<x/>")
    with pytest.raises(Exception, match="leave the model folder"):
        transfer.import_zip(buffer.getvalue())


def test_a_looping_model_fails_its_test_run_within_seconds(sessions):
    import time

    from engine.i18n import decode_message
    from engine.studio import sandbox
    from engine.workflow import limits
    from tests.engine.helpers import model_files
    from tests.engine.test_script_limits import QUIET

    files = model_files("runaway", **{**QUIET, "SCRIPT_HERE": "while True:\n    pass"})
    saved = (limits.LIMITS.seconds, limits.LIMITS.megabytes)
    limits.configure(1.0, 128)  # handed to the test run's process with the job
    try:
        began = time.monotonic()
        with sessions() as session:
            run = sandbox.test_run(session, "runaway", files, ConnectorRegistry(), start_data={"patient_id": 1})
        seconds = time.monotonic() - began
    finally:
        limits.configure(*saved)
    assert run.status == "error"
    failed = [step for step in run.steps if step["kind"] == "error"]
    assert failed[0]["element"] == "compute"
    assert decode_message(failed[0]["message"]) == (limits.TIME_MESSAGE, {"seconds": "1"})
    assert seconds < 15, f"the test run took {seconds:.1f} s"  # a child process start, a deploy, a 1 s loop


def test_a_pathway_patients_may_start_keeps_that_through_export_and_import():
    files = read_model_folder(BPMN / "consultation_session")
    files.pop("model.json", None)  # as a deployed version holds them
    offered, _ = transfer.import_zip(transfer.export_zip("consultation_session", files, "Session", "", {}))
    assert offered["model.json"] and json.loads(offered["model.json"])["patient_start"] is True
    staff_only, manifest = transfer.import_zip(transfer.export_zip("consultation_session", files, "Session", ""))
    assert "patient_start" not in json.loads(staff_only["model.json"]) and "patient_start" not in manifest


def test_a_change_deployed_from_the_editor_keeps_who_may_start_the_pathway(world):
    from engine.workflow import deploy_model

    sessions, stubs, _files = world
    folder = Path(__file__).resolve().parents[1] / "data" / "workflow" / "start_form"
    with transaction(sessions) as session:
        deploy_model(session, "start_form", read_model_folder(folder), connectors=stubs)
    with transaction(sessions) as session:
        files, origin, _number = service.working_files(session, "start_form")
        assert origin == "version" and json.loads(files["model.json"])["patient_start"] == {"form": "forms/start.json"}
        bpmn = next(p for p in files if p.endswith(".bpmn"))
        changed = {**files, bpmn: files[bpmn] + "\n<!-- reviewed -->\n"}
        version, was_changed = service.deploy(session, "start_form", changed, None, stubs)
        assert was_changed and version.number == 2 and version.patient_start == {"form": "forms/start.json"}
