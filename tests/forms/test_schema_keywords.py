"""Each keyword of the supported JSON Schema subset, through a browser-style post."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from forms import build_form_class, form_data
from tests.forms.helpers import errors_of, submit

pytestmark = pytest.mark.usefixtures("ctx")


def one(prop: dict, required: bool = False, ui: dict | None = None) -> type:
    schema = {"type": "object", "properties": {"x": prop}, "required": ["x"] if required else []}
    return build_form_class(schema, {"x": ui} if ui else None)


def test_a_required_string_left_empty_says_it_is_required():
    form = submit(one({"type": "string"}, required=True), {"x": "   "})
    assert errors_of(form, "x") == ["This field is required."]


def test_an_optional_empty_string_is_valid_and_stored_as_none():
    form = submit(one({"type": "string", "minLength": 3, "pattern": "^[0-9]+$"}), {"x": ""})
    assert form.errors == {}
    assert form_data(form) == {"x": None}


def test_text_is_stripped_of_outer_spaces():
    form = submit(one({"type": "string"}), {"x": "  Иванов  "})
    assert form_data(form) == {"x": "Иванов"}


def test_min_and_max_length_have_their_own_messages():
    cls = one({"type": "string", "minLength": 3, "maxLength": 5})
    assert errors_of(submit(cls, {"x": "ab"}), "x") == ["Too short: the minimum number of characters is 3."]
    assert errors_of(submit(cls, {"x": "abcdef"}), "x") == ["Too long: the maximum number of characters is 5."]
    assert submit(cls, {"x": "abcd"}).errors == {}


def test_a_value_not_matching_the_pattern_is_refused_with_the_format_message():
    cls = one({"type": "string", "pattern": "^[0-9]{16}$"})
    assert errors_of(submit(cls, {"x": "1234"}), "x") == ["This value is not in the expected format."]
    assert submit(cls, {"x": "1234567890123456"}).errors == {}


def test_pattern_is_found_anywhere_as_in_json_schema():
    assert submit(one({"type": "string", "pattern": "[0-9]"}), {"x": "room 7"}).errors == {}


def test_email_format():
    cls = one({"type": "string", "format": "email"})
    assert errors_of(submit(cls, {"x": "not-an-email"}), "x") == ["Enter an email address like name@example.com."]
    assert form_data(submit(cls, {"x": "patient@example.org"})) == {"x": "patient@example.org"}
    assert 'type="email"' in str(cls()["x"]())


def test_tel_format_accepts_what_people_type_and_refuses_letters():
    cls = one({"type": "string", "format": "tel"})
    assert submit(cls, {"x": "+7 (912) 345-67-89"}).errors == {}
    assert errors_of(submit(cls, {"x": "call me"}), "x") == ["Enter a phone number, e.g. +7 912 345-67-89."]
    assert errors_of(submit(cls, {"x": "12"}), "x") != []


def test_a_date_is_parsed_and_stored_as_iso_text():
    cls = one({"type": "string", "format": "date"})
    form = submit(cls, {"x": "2025-03-31"})
    assert form.x.data == date(2025, 3, 31)
    assert form_data(form) == {"x": "2025-03-31"}


def test_a_bad_date_gets_a_message_and_keeps_what_was_typed():
    form = submit(one({"type": "string", "format": "date"}, required=True), {"x": "2025-02-30"})
    assert errors_of(form, "x") == ["Enter a real date, for example 2025-03-31."]
    assert 'value="2025-02-30"' in str(form.x())


def test_a_date_time_from_a_datetime_local_input():
    cls = one({"type": "string", "format": "date-time"})
    form = submit(cls, {"x": "2025-03-31T14:30"})
    assert form.x.data == datetime(2025, 3, 31, 14, 30)
    assert form_data(form) == {"x": "2025-03-31T14:30"}
    assert errors_of(submit(cls, {"x": "tomorrow"}), "x") == [
        "Enter a real date and time, for example 2025-03-31 14:30."
    ]


def test_an_enum_is_a_select_with_a_choose_prompt_and_refuses_other_values():
    cls = one({"type": "string", "enum": ["O+", "A+", "B+"]}, required=True)
    html = str(cls()["x"]())
    assert "<select" in html and 'value=""' in html and "Choose…" in html
    assert errors_of(submit(cls, {"x": "Z"}), "x") == ["Choose one of the listed options."]
    assert errors_of(submit(cls, {"x": ""}), "x") == ["Choose an option."]
    assert form_data(submit(cls, {"x": "A+"})) == {"x": "A+"}


def test_one_of_titles_label_the_options_and_the_const_is_stored():
    prop = {"type": "string", "oneOf": [{"const": "yes", "title": "Да"}, {"const": "no", "title": "Нет"}]}
    cls = one(prop, ui={"ui:widget": "radio"})
    html = str(cls()["x"]())
    assert 'type="radio"' in html and "Да" in html
    assert form_data(submit(cls, {"x": "no"})) == {"x": "no"}


def test_an_integer_enum_comes_back_as_an_integer():
    cls = one({"type": "integer", "enum": [1, 2, 3]})
    assert form_data(submit(cls, {"x": "2"})) == {"x": 2}


def test_integer_refuses_decimals_and_text():
    cls = one({"type": "integer"})
    assert errors_of(submit(cls, {"x": "2.5"}), "x") == ["Enter a whole number."]
    assert errors_of(submit(cls, {"x": "abc"}), "x") == ["Enter a whole number."]
    assert form_data(submit(cls, {"x": "42"})) == {"x": 42}


def test_number_accepts_a_decimal_comma_and_returns_a_float():
    form = submit(one({"type": "number"}), {"x": "36,6"})
    assert form_data(form) == {"x": 36.6}
    assert errors_of(submit(one({"type": "number"}), {"x": "NaN"}), "x") == ["Enter a number, for example 36.6."]


def test_minimum_and_maximum_name_the_range():
    cls = one({"type": "integer", "minimum": 18, "maximum": 120})
    assert errors_of(submit(cls, {"x": "17"}), "x") == ["Enter a number from 18 to 120."]
    assert errors_of(submit(cls, {"x": "121"}), "x") == ["Enter a number from 18 to 120."]
    assert submit(cls, {"x": "18"}).errors == {}
    html = str(cls()["x"]())
    assert 'min="18"' in html and 'max="120"' in html


def test_one_sided_bounds_have_one_sided_messages():
    assert errors_of(submit(one({"type": "number", "minimum": 0}), {"x": "-1"}), "x") == [
        "Enter a number of at least 0."
    ]
    assert errors_of(submit(one({"type": "number", "maximum": 10}), {"x": "11"}), "x") == [
        "Enter a number no greater than 10."
    ]


def test_exclusive_bounds_refuse_the_bound_itself():
    cls = one({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1})
    assert errors_of(submit(cls, {"x": "0"}), "x") == ["Enter a number greater than 0 and less than 1."]
    assert errors_of(submit(cls, {"x": "1"}), "x") != []
    assert submit(cls, {"x": "0.5"}).errors == {}
    assert errors_of(submit(one({"type": "number", "exclusiveMinimum": 0}), {"x": "0"}), "x") == [
        "Enter a number greater than 0."
    ]
    assert errors_of(submit(one({"type": "number", "exclusiveMaximum": 5}), {"x": "5"}), "x") == [
        "Enter a number less than 5."
    ]


def test_multiple_of_works_for_decimals():
    cls = one({"type": "number", "multipleOf": 0.1})
    assert submit(cls, {"x": "0.3"}).errors == {}
    assert errors_of(submit(cls, {"x": "0.35"}), "x") == ["Enter a multiple of 0.1."]
    assert 'step="0.1"' in str(cls()["x"]())


def test_an_optional_boolean_may_stay_unticked():
    form = submit(one({"type": "boolean", "title": "Send me reminders"}), {})
    assert form.errors == {} and form_data(form) == {"x": False}


def test_a_required_boolean_must_be_ticked_like_consent():
    cls = one({"type": "boolean", "title": "I consent to the processing of my personal data"}, required=True)
    assert errors_of(submit(cls, {}), "x") == ["Tick this box to continue."]
    assert form_data(submit(cls, {"x": "y"})) == {"x": True}


def test_an_array_of_enums_is_checkboxes_returned_as_a_list():
    prop = {"type": "array", "uniqueItems": True,
            "items": {"type": "string", "oneOf": [{"const": "ct", "title": "КТ"}, {"const": "mri", "title": "МРТ"},
                                                  {"const": "us", "title": "УЗИ"}]}}
    cls = one(prop, required=True)
    assert 'type="checkbox"' in str(cls()["x"]())
    assert form_data(submit(cls, [("x", "ct"), ("x", "us")])) == {"x": ["ct", "us"]}
    assert errors_of(submit(cls, {}), "x") == ["Choose at least one option."]
    assert errors_of(submit(cls, [("x", "xray")]), "x") == ["Choose one of the listed options."]


def test_unique_items_and_item_counts():
    prop = {"type": "array", "uniqueItems": True, "minItems": 2, "maxItems": 2, "items": {"enum": ["a", "b", "c"]}}
    cls = one(prop)
    assert errors_of(submit(cls, [("x", "a"), ("x", "a")]), "x") == ["Choose each option only once."]
    assert errors_of(submit(cls, [("x", "a")]), "x") == ["Choose more options: the minimum is 2."]
    assert errors_of(submit(cls, [("x", "a"), ("x", "b"), ("x", "c")]), "x") == ["Choose fewer options: the maximum is 2."]


def test_title_description_and_default_show_in_a_fresh_form():
    cls = one({"type": "string", "title": "Город", "description": "Где вы живёте", "default": "Сургут"})
    form = cls()
    assert form.x.label.text == "Город"
    assert form.x.description == "Где вы живёте"
    assert 'value="Сургут"' in str(form.x())


def test_defaults_of_every_kind_reach_form_data_when_nothing_is_posted():
    schema = {"type": "object", "properties": {
        "d": {"type": "string", "format": "date", "default": "2025-01-02"},
        "n": {"type": "number", "default": 1.5},
        "b": {"type": "boolean", "default": True},
        "m": {"type": "array", "items": {"enum": [1, 2]}, "default": [2]},
    }}
    assert form_data(build_form_class(schema)()) == {"d": "2025-01-02", "n": 1.5, "b": True, "m": [2]}


def test_a_missing_title_is_made_from_the_name():
    assert one({"type": "string"})().x.label.text == "X"
    schema = {"type": "object", "properties": {"blood_pressure": {"type": "integer"}}}
    assert build_form_class(schema)().blood_pressure.label.text == "Blood pressure"


def test_ui_order_with_a_star_places_the_rest():
    schema = {"type": "object", "properties": {n: {"type": "string"} for n in ("a", "b", "c", "d")}}
    names = [f.name for f in build_form_class(schema, {"ui:order": ["c", "*", "a"]})()]
    assert names == ["c", "b", "d", "a"]


def test_ui_help_and_placeholder():
    form = one({"type": "string"}, ui={"ui:help": "As in your passport", "ui:placeholder": "Ivanov"})()
    assert form.x.help_text == "As in your passport"
    html = str(form.x(**form.x.input_attrs()))
    assert 'placeholder="Ivanov"' in html and 'aria-describedby="x-help"' in html


@pytest.mark.parametrize("prop, ui", [
    ({"type": "string", "readOnly": True}, None),
    ({"type": "string"}, {"ui:readonly": True}),
])
def test_a_read_only_value_is_shown_but_never_taken_from_the_request(prop, ui):
    cls = one(prop, required=True, ui=ui)
    from werkzeug.datastructures import MultiDict

    form = cls(formdata=MultiDict({"x": "tampered"}), data={"x": "from the task"})
    assert form.validate()
    assert form.x.data == "from the task"
    assert form_data(form) == {}
    assert "readonly" in str(form.x())


def test_a_read_only_choice_is_disabled():
    form = one({"type": "string", "enum": ["a", "b"], "readOnly": True})(data={"x": "a"})
    assert "disabled" in str(form.x())


def test_a_hidden_field_keeps_its_type():
    cls = one({"type": "integer", "default": 7}, ui={"ui:widget": "hidden"})
    form = cls()
    assert form.x.cp_kind == "hidden"
    assert str(form.x()) == '<input id="x" name="x" type="hidden" value="7">'
    assert form_data(submit(cls, {"x": "8"})) == {"x": 8}


def test_the_plain_text_widget_keeps_a_format_and_hidden_keeps_a_date():
    assert one({"type": "string", "format": "date"}, ui={"ui:widget": "text"})().x.cp_kind == "date"
    cls = one({"type": "string", "format": "date", "default": "2025-01-02"}, ui={"ui:widget": "hidden"})
    assert form_data(submit(cls, {"x": "2025-05-06"})) == {"x": "2025-05-06"}
