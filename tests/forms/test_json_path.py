"""validate_json: the JSON API path, with the same rules and messages as the web form."""

from __future__ import annotations

import pytest

from forms import validate_json
from tests.forms.helpers import load

pytestmark = pytest.mark.usefixtures("ctx")

SCHEMA = {
    "type": "object",
    "required": ["consent", "visit_date"],
    "properties": {
        "consent": {"type": "boolean"},
        "visit_date": {"type": "string", "format": "date"},
        "age": {"type": "integer", "minimum": 18},
        "weight": {"type": "number"},
        "symptoms": {"type": "array", "uniqueItems": True, "items": {"enum": ["cough", "fever"]}},
        "grade": {"type": "integer", "oneOf": [{"const": 1, "title": "Mild"}, {"const": 2, "title": "Severe"}]},
        "note": {"type": "string", "maxLength": 5},
    },
}


def test_a_valid_payload_comes_back_clean_and_typed():
    data, errors = validate_json(SCHEMA, None, {
        "consent": True, "visit_date": "2025-03-31", "age": 40, "weight": 70.5,
        "symptoms": ["fever", "cough"], "grade": 2, "note": "ok", "unknown": "dropped",
    })
    assert errors == {}
    assert data == {"consent": True, "visit_date": "2025-03-31", "age": 40, "weight": 70.5,
                    "symptoms": ["fever", "cough"], "grade": 2, "note": "ok"}


def test_missing_and_empty_optional_values_are_none():
    data, errors = validate_json(SCHEMA, None, {"consent": True, "visit_date": "2025-03-31", "note": None})
    assert errors == {}
    assert data["age"] is None and data["note"] is None and data["symptoms"] == []


def test_the_same_messages_as_the_web_form():
    data, errors = validate_json(SCHEMA, None, {
        "consent": False, "visit_date": "2025-02-30", "age": 17, "grade": 3, "note": "too long",
        "symptoms": ["fever", "fever"],
    })
    assert data == {}
    assert errors == {
        "consent": ["Tick this box to continue."],
        "visit_date": ["Enter a real date, for example 2025-03-31."],
        "age": ["Enter a number of at least 18."],
        "grade": ["Choose one of the listed options."],
        "note": ["Too long: the maximum number of characters is 5."],
        "symptoms": ["Choose each option only once."],
    }


@pytest.mark.parametrize("field, value, message", [
    ("age", "40", "Enter a whole number."),
    ("age", True, "Enter a whole number."),
    ("age", 40.5, "Enter a whole number."),
    ("weight", "70", "Enter a number, for example 36.6."),
    ("consent", "yes", "Answer with true or false."),
    ("note", 5, "Enter text."),
    ("symptoms", "fever", "Choose from the listed options."),
    ("grade", "2", "Choose one of the listed options."),
])
def test_json_types_are_checked_as_json_schema_would(field, value, message):
    payload = {"consent": True, "visit_date": "2025-03-31", field: value}
    assert validate_json(SCHEMA, None, payload)[1] == {field: [message]}


def test_a_whole_float_is_an_integer_as_in_json_schema():
    data, errors = validate_json(SCHEMA, None, {"consent": True, "visit_date": "2025-03-31", "age": 40.0})
    assert errors == {} and data["age"] == 40


def test_unknown_keys_are_errors_when_the_schema_is_closed():
    closed = {**SCHEMA, "additionalProperties": False}
    _, errors = validate_json(closed, None, {"consent": True, "visit_date": "2025-03-31", "extra": 1})
    assert errors == {"extra": ["This field is not part of the form."]}


def test_read_only_fields_cannot_be_set_through_json():
    schema = {"type": "object", "properties": {"name": {"type": "string", "readOnly": True},
                                               "x": {"type": "string"}}}
    assert validate_json(schema, None, {"name": "forged", "x": "a"}) == ({"x": "a"}, {})


def test_files_cannot_come_as_json():
    schema = {"type": "object", "properties": {"scan": {"type": "string", "format": "data-url"}}}
    assert validate_json(schema, None, {"scan": "data:application/pdf;base64,JVBERi0="})[1] == {
        "scan": ["Files cannot be sent as JSON; attach them with the form."]
    }


def test_the_doctor_review_form_over_json():
    schema, ui = load("doctor-review-schema.json"), load("doctor-review-uischema.json")
    data, errors = validate_json(schema, ui, {"decision": "schedule", "consultation_at": "2025-04-01T09:30"})
    assert errors == {}
    assert data == {"decision": "schedule", "consultation_at": "2025-04-01T09:30", "comment": None}
    assert validate_json(schema, ui, {"decision": "later"})[1] == {"decision": ["Choose one of the listed options."]}


def test_slot_pickers_ask_their_provider_with_the_task_data():
    schema = {"type": "object", "required": ["slot"], "properties": {"slot": {"type": "string"}}}
    ui = {"slot": {"ui:widget": "slot-picker", "ui:options": {"provider": "free"}}}
    providers = {"free": lambda task: [(s, s) for s in task["free"]]}
    assert validate_json(schema, ui, {"slot": "b"}, choices_providers=providers, task_data={"free": ["a", "b"]}) == (
        {"slot": "b"}, {})
    assert validate_json(schema, ui, {"slot": "c"}, choices_providers=providers, task_data={"free": ["a"]})[1] == {
        "slot": ["This time slot is no longer available. Choose another one."]}


def test_a_payload_that_is_not_an_object_is_an_error_not_a_crash():
    assert validate_json(SCHEMA, None, ["consent"]) == ({}, {"_form": ["Send the answers as a JSON object."]})
