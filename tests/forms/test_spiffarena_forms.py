"""SpiffArena's form conventions (forms/spiffarena.py) and groups / repeating sections (forms/sections.py)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from forms import DynamicOptionsMissing, build_form_class, check_task_form, form_data, prepare

COLOR = {
    "definitions": {"Color": {"title": "Color", "type": "string", "anyOf": ["options_from_task_data_var:colors"]}},
    "title": "Pick for {{ name }}",
    "type": "object",
    "required": ["color"],
    "properties": {"color": {"$ref": "#/definitions/Color", "title": "Your color"}, "floor": {"type": "integer"}},
}


def test_ref_and_options_from_task_data_become_a_select_over_the_task_data():
    schema, ui = prepare(COLOR, None, {"name": "Anna", "colors": [{"value": "b", "label": "Blue"}, "green"]})
    assert schema["title"] == "Pick for Anna" and "definitions" not in schema
    assert schema["properties"]["color"] == {
        "title": "Your color", "type": "string", "oneOf": [{"const": "b", "title": "Blue"}, {"const": "green", "title": "green"}]
    }
    assert COLOR["properties"]["color"] == {"$ref": "#/definitions/Color", "title": "Your color"}  # input untouched
    assert check_task_form(COLOR, None) == []


def test_a_missing_options_list_is_a_clear_error_and_hidden_fields_are_hidden():
    with pytest.raises(DynamicOptionsMissing, match="colors"):
        prepare(COLOR, None, {})
    _schema, ui = prepare(COLOR, {}, {"colors": ["x"], "form_ui_hidden_fields": ["floor"]})
    assert ui == {"floor": {"ui:widget": "hidden"}}


def test_an_unsupported_keyword_in_a_nested_group_is_named_with_its_path():
    schema = {"type": "object", "properties": {"home": {"type": "object", "properties": {"street": {"type": "string", "format": "uri"}}}}}
    [problem] = check_task_form(schema, None)
    assert str(problem).startswith('field "home.street", keyword "format"')


def test_groups_and_repeating_sections_read_and_give_back_nested_data(ctx):
    schema = {
        "type": "object",
        "required": ["people"],
        "properties": {
            "home": {"title": "Home", "properties": {"street": {"type": "string"}, "floor": {"type": "integer"}}},
            "people": {"type": "array", "title": "People", "items": {
                "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    form_class = build_form_class(schema, {"home": {"street": {"ui:autofocus": True}}})
    form = form_class(MultiDict({
        "home-street": "Lenina 1", "home-floor": "3", "people-0-name": "Anna", "people-0-age": "30",
        "people-1-name": "", "people-1-age": "", "tags-0": "a", "tags-1": "",
    }))
    assert form.validate(), form.errors
    assert form_data(form) == {"home": {"street": "Lenina 1", "floor": 3}, "people": [{"name": "Anna", "age": 30}], "tags": ["a"]}
    assert "autofocus" in str(form.home.form.street())
    empty = form_class(MultiDict({"people-0-name": "", "people-0-age": "5"}))
    assert not empty.validate()  # an entry with an age but no name is an entry missing its name
    none = form_class(MultiDict({}))
    assert not none.validate() and none.people.errors  # "people" is required: at least one entry
