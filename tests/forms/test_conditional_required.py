"""Conditional required fields (``allOf`` of ``if``/``then``) and platform answer checks
(``ui:options.check``): an incomplete decision is refused next to the missing field, on both paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from forms import build_form_class, check_schema, validate_json

pytestmark = pytest.mark.usefixtures("ctx")

FORMS = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"
SLOTS = {"consultation_doctor_slots": lambda data: [(7, "10:00"), (8, "11:00")]}


def _review(pathway: str) -> tuple[dict, dict]:
    folder = FORMS / pathway / "forms"
    return (json.loads((folder / "review.json").read_text()),
            json.loads((folder / "review-uischema.json").read_text()))


def _post(schema, ui, **values):
    form = build_form_class(schema, ui, choices_providers=SLOTS)(formdata=MultiDict(values), meta={"csrf": False})
    return form, form.validate()


@pytest.mark.parametrize("pathway", ["consultation_application", "consultation_referral"])
def test_a_review_decision_needs_what_it_acts_on(pathway):
    schema, ui = _review(pathway)
    form, ok = _post(schema, ui, decision="schedule")
    assert not ok and form.errors == {"slot_id": ["Choose a time slot."]}
    for decision in ("more_documents", "decline"):
        form, ok = _post(schema, ui, decision=decision, message="   ")
        assert not ok and form.errors == {"message": ["This field is required."]}
    assert _post(schema, ui, decision="schedule", slot_id="7")[1]
    assert _post(schema, ui, decision="decline", message="Нужна очная консультация")[1]
    # The JSON API path refuses the same.
    assert validate_json(schema, ui, {"decision": "schedule"}, choices_providers=SLOTS)[1] == {
        "slot_id": ["Choose a time slot."]}


def test_only_the_supported_shape_of_a_condition_is_accepted():
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    assert check_schema({**schema, "allOf": [{"if": {"properties": {"a": {"const": "x"}}},
                                              "then": {"required": ["b"]}}]}) == []
    assert check_schema({**schema, "allOf": [{"if": {"properties": {"a": {"minLength": 2}}},
                                              "then": {"required": ["b"]}}]})[0].startswith('form, keyword "allOf"')
    assert check_schema({**schema, "allOf": [{"if": {"properties": {"a": {"const": "x"}}},
                                              "then": {"required": ["c"]}}]}) == [
        'field "c", keyword "allOf": is named in a condition but is not a property']


def test_a_platform_check_refuses_an_answer_the_server_knows_is_untrue():
    schema = {"type": "object", "required": ["uploaded"], "properties": {"uploaded": {"type": "boolean"}}}
    ui = {"uploaded": {"ui:options": {"check": "documents_there"}}}
    seen = []

    def documents_there(task_data, value):
        seen.append((task_data, value))
        return None if task_data.get("count") else "Upload your documents first."

    providers = {"documents_there": documents_there}
    form_class = build_form_class(schema, ui, choices_providers=providers)
    form = form_class(formdata=MultiDict({"uploaded": "y"}), task_data={"count": 0}, meta={"csrf": False})
    assert not form.validate() and form.errors == {"uploaded": ["Upload your documents first."]}
    form = form_class(formdata=MultiDict({"uploaded": "y"}), task_data={"count": 2}, meta={"csrf": False})
    assert form.validate()
    assert seen == [({"count": 0}, True), ({"count": 2}, True)]
    assert check_schema(schema, ui, providers=["other"]) == [
        'field "uploaded", keyword "ui:options.check": no platform check is called \'documents_there\' (known: other)']
