"""SpiffArena's form conventions (forms/spiffarena.py) and groups / repeating sections (forms/sections.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations
from werkzeug.datastructures import MultiDict

from forms import DynamicOptionsMissing, build_form_class, check_task_form, form_data, prepare

TRANSLATIONS = Path(__file__).resolve().parents[2] / "webui" / "translations"

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


def _russian() -> Any:
    """The Russian catalogue as the web app reads it (compiled by `make install`)."""
    return Translations.load(str(TRANSLATIONS), ["ru"]).gettext


def test_spiffarena_markdown_and_formatted_number_widgets_become_a_textarea_and_a_number(ctx):
    schema = {"type": "object", "properties": {"notes": {"type": "string"}, "amount": {"type": "number", "minimum": 0}}}
    ui = {"notes": {"ui:widget": "markdown", "ui:options": {"rows": 4}}, "amount": {"ui:widget": "formattedNumber"}}
    assert check_task_form(schema, ui) == []
    form = build_form_class(schema, ui)(MultiDict({"notes": "| a | b |\n|---|---|\n| 1 | 2 |", "amount": "1234.5"}))
    assert form.validate(), form.errors
    assert form_data(form) == {"notes": "| a | b |\n|---|---|\n| 1 | 2 |", "amount": 1234.5}
    assert "<textarea" in str(form.notes()) and 'type="number"' in str(form.amount())
    assert not build_form_class(schema, ui)(MultiDict({"amount": "-1"})).validate()  # the schema's minimum holds
    [problem] = check_task_form({"type": "object", "properties": {"n": {"type": "string"}}}, {"n": {"ui:widget": "formattedNumber"}})
    assert (problem.field, problem.keyword) == ("n", "ui:widget")  # a number typed as text: not here


@pytest.mark.parametrize(("key", "widget", "prop"), [
    ("ui:widget", "typeahead", {"type": "string"}),
    ("ui:widget", "date-range", {"type": "string"}),
    ("ui:field", "numeric-range", {"type": "object", "properties": {"min": {"type": "number"}, "max": {"type": "number"}}}),
    ("ui:field", "calculated", {"type": "number"}),
])  # fmt: skip
def test_spiffarena_widgets_that_need_spiffarena_are_refused_naming_the_field_in_the_readers_language(key, widget, prop):
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "order": {"type": "object", "properties": {"pick": prop}}}}
    [problem] = check_task_form(schema, {"order": {"pick": {key: widget}}})
    assert (problem.field, problem.keyword, problem.params["widget"]) == ("order.pick", key, widget)
    assert str(problem).startswith(f'field "order.pick", keyword "{key}": SpiffArena\'s {widget} widget is not available')
    russian = problem.text(_russian())
    assert russian.startswith(f"поле «order.pick», ключ «{key}»: виджет SpiffArena {widget} в CarePath недоступен: ")
    assert not any(c in "abcdefghijklmnopqrstuvwxyz" for c in russian.rsplit(": ", 1)[1].replace("enum", "").replace(
        "oneOf", "").replace("options_from_task_data_var", "").replace("SpiffArena", ""))  # the advice is Russian too


def test_every_part_of_a_form_problem_is_in_the_readers_language():
    schema = {"type": "object", "properties": {"when": {"type": "string", "format": "uri"}, "n": {"type": "integer", "minimum": "1"}}}
    problems = check_task_form(schema, {"ui:order": ["n", "when", "gone"]})
    russian = [p.text(_russian()) for p in problems]
    assert "форма, ключ «ui:order»: называет поля, которых нет в схеме: gone" in russian
    assert "поле «when», ключ «format»: формат 'uri' не поддерживается (поддерживаются: date, date-time, email, tel)" in russian
    assert "поле «n», ключ «minimum»: должно быть числом" in russian
    assert [str(p) for p in problems] == [p.text() for p in problems]  # English without a catalogue
    assert all(p.coded()["params"]["reason"]["msgid"] == p.message for p in problems)  # stored as msgids, not text


def test_formatted_number_options_become_what_the_number_input_checks(ctx):
    schema = {"type": "object", "properties": {
        "price": {"type": "number"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"qty": {"type": "integer"}}}}}}
    ui = {"price": {"ui:widget": "formattedNumber", "ui:options": {"decimals": 2, "allowNegative": False, "locale": "auto"}},
          "items": {"items": {"qty": {"ui:widget": "formattedNumber", "ui:options": {"allowNegative": False}}}}}
    assert check_task_form(schema, ui) == []
    form_class = build_form_class(*prepare(schema, ui, {}))
    assert form_class(MultiDict({"price": "12.34", "items-0-qty": "2"})).validate()
    for bad in ({"price": "12.345"}, {"price": "-1"}, {"price": "1", "items-0-qty": "-2"}):
        assert not form_class(MultiDict(bad)).validate(), bad
    assert ui["price"]["ui:options"]["decimals"] == 2  # the model's own files are left as they are
    [problem] = check_task_form(schema, {"price": {"ui:widget": "formattedNumber", "ui:options": {"currency": "RUB"}}})
    assert (problem.field, problem.keyword) == ("price", "ui:options.currency")
