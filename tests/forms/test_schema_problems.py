"""A form file outside the subset is refused at build time, naming the field and the keyword."""

from __future__ import annotations

import pytest

from forms import FormSchemaError, build_form_class, check_schema


def schema_with(prop: dict, name: str = "age") -> dict:
    return {"type": "object", "properties": {name: prop}}


def test_an_unsupported_keyword_names_the_field_and_the_keyword():
    with pytest.raises(FormSchemaError) as caught:
        build_form_class(schema_with({"type": "integer", "allOf": [{"minimum": 1}]}))
    assert caught.value.field == "age"
    assert caught.value.keyword == "allOf"
    assert str(caught.value) == 'field "age", keyword "allOf": unsupported keyword for a integer field'


def test_check_schema_lists_every_problem_and_nothing_for_a_good_file():
    schema = {
        "type": "object",
        "required": ["missing"],
        "properties": {
            "a": {"type": "string", "format": "uri"},
            "b": {"type": "object", "properties": {}},
            "c": {"type": "string", "enum": ["x"], "oneOf": [{"const": "x"}]},
        },
        "dependencies": {},
    }
    problems = check_schema(schema, {"ui:order": ["a"], "typo": {"ui:widget": "textarea"}})
    assert 'form, keyword "dependencies": unsupported keyword at the top level' in problems
    assert 'field "missing", keyword "required": is required but is not a property' in problems
    assert any(p.startswith('field "a", keyword "format"') and "'uri'" in p for p in problems)
    assert any(p.startswith('field "b", keyword "properties"') for p in problems)  # a group needs fields
    assert any(p.startswith('field "c", keyword "oneOf"') for p in problems)
    assert any(p.startswith('form, keyword "ui:order"') and "b, c" in p for p in problems)
    assert 'field "typo": the uiSchema describes a field that is not a property' in problems
    assert check_schema(schema_with({"type": "string"})) == []


@pytest.mark.parametrize("prop, ui, keyword", [
    ({"type": ["string", "null"]}, None, "type"),
    ({"type": "string", "minLength": -1}, None, "minLength"),
    ({"type": "string", "pattern": "(unclosed"}, None, "pattern"),
    ({"type": "integer", "minimum": 10, "maximum": 1}, None, "maximum"),
    ({"type": "integer", "multipleOf": 0}, None, "multipleOf"),
    ({"type": "string", "enum": []}, None, "enum"),
    ({"type": "integer", "enum": ["one"]}, None, "enum"),
    ({"type": "string", "enum": ["a", "a"]}, None, "enum"),
    ({"type": "string", "oneOf": [{"const": "a", "label": "A"}]}, None, "oneOf"),
    ({"type": "string", "enum": ["a"], "default": "b"}, None, "default"),
    ({"type": "string", "format": "date", "default": "31.03.2025"}, None, "default"),
    ({"type": "array", "items": {"type": "string", "format": "uri"}}, None, "format"),
    ({"type": "array", "items": {"enum": ["a"], "pattern": "x"}}, None, "items.pattern"),
    ({"type": "string"}, {"ui:widget": "password"}, "ui:widget"),
    ({"type": "string"}, {"ui:widget": "radio"}, "ui:widget"),
    ({"type": "string"}, {"ui:autofocus": "yes"}, "ui:autofocus"),
    ({"type": "string"}, {"ui:widget": "textarea", "ui:options": {"cols": 3}}, "ui:options.cols"),
    ({"type": "boolean"}, {"ui:widget": "hidden"}, "ui:widget"),
    ({"type": "string", "format": "date", "maxLength": 10}, None, "maxLength"),
    ({"type": "string", "format": "date"}, {"ui:widget": "textarea"}, "format"),
    ({"type": "string", "format": "date"}, {"ui:widget": "document-upload"}, "format"),
    ({"type": "array", "items": {"enum": ["a"], "format": "date"}}, None, "items.format"),
    ({"type": "string", "enum": ["a"], "pattern": "a"}, None, "pattern"),
    ({"type": "integer", "enum": [1, 2], "minimum": 1}, None, "minimum"),
    ({"type": "array", "items": {"type": "string"}, "minItems": 1}, {"ui:widget": "document-upload"}, "minItems"),
])
def test_each_unsupported_construct_is_a_problem_naming_its_keyword(prop, ui, keyword):
    with pytest.raises(FormSchemaError) as caught:
        build_form_class(schema_with(prop), {"age": ui} if ui else None)
    assert caught.value.field == "age"
    assert caught.value.keyword == keyword


@pytest.mark.parametrize("name", ["data", "validate", "errors", "csrf_token", "form_spec", "submit_label",
                                  "_private", "first-name", "2nd"])
def test_names_the_form_uses_itself_or_python_cannot_read_are_refused(name):
    problems = check_schema(schema_with({"type": "string"}, name=name))
    assert problems and problems[0].startswith(f'field "{name}"')


def test_the_top_level_must_be_an_object_with_properties():
    assert check_schema({"type": "array"}) == [
        'form, keyword "type": the form schema must have "type": "object"',
        'form, keyword "properties": the form needs at least one property',
    ]
    assert check_schema([]) == ["form: the schema must be a JSON object"]


def test_spiffarena_top_level_keys_are_accepted():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "T", "description": "D",
              "type": "object", "additionalProperties": False, "properties": {"a": {"type": "string"}}}
    assert check_schema(schema, {"ui:submitButtonOptions": {"submitText": "Send"}}) == []


def test_check_schema_knows_the_slot_providers_when_told():
    schema = schema_with({"type": "string"}, name="slot")
    ui = {"slot": {"ui:widget": "slot-picker", "ui:options": {"provider": "doctor_slots"}}}
    assert check_schema(schema, ui) == []
    assert check_schema(schema, ui, providers=["doctor_slots"]) == []
    assert check_schema(schema, ui, providers=["clinic_slots"]) == [
        "field \"slot\", keyword \"ui:options.provider\": no slot provider is called 'doctor_slots' "
        "(known: clinic_slots)"
    ]


JUNK = [None, [], {}, "x", -1, 1.5, True, [{}], {"a": []}]
KEYWORDS = ["type", "title", "description", "default", "readOnly", "minLength", "maxLength", "pattern",
            "format", "enum", "oneOf", "minimum", "maximum", "exclusiveMinimum", "multipleOf", "items",
            "uniqueItems", "minItems"]
UI_KEYS = ["ui:widget", "ui:options", "ui:help", "ui:placeholder", "ui:readonly"]
OPTION_KEYS = ["provider", "accept", "maxSizeMb", "maxFiles", "unit", "step", "labels", "rows"]


def check_or_build(schema, ui=None):
    """check_schema answers; and whenever it finds nothing, the form really builds."""
    if not check_schema(schema, ui):
        build_form_class(schema, ui, choices_providers={"x": lambda data: []})


@pytest.mark.parametrize("base", [
    {"type": "string"}, {"type": "integer", "maximum": 5, "minimum": 0}, {"type": "array", "items": {"enum": ["a"]}},
])
def test_junk_in_any_keyword_is_reported_not_crashed_on(base):
    # A file typed by hand in the studio can hold anything; the check must answer, never raise.
    for junk in JUNK:
        for keyword in KEYWORDS:
            check_or_build(schema_with({**base, keyword: junk}))
        for key in UI_KEYS:
            check_or_build(schema_with(base), {"age": {key: junk}})
        for key in OPTION_KEYS:
            for widget in ("slot-picker", "document-upload", "measurement", "intensity", "textarea"):
                check_or_build(schema_with(base), {"age": {"ui:widget": widget, "ui:options": {key: junk}}})
        check_or_build({"type": "object", "properties": {"a": {"type": "string"}}, "required": junk})
        check_or_build({"type": "object", "properties": {"a": {"type": "string"}}}, {"ui:order": junk})
        check_or_build({"type": "object", "properties": junk})
