"""Validating a JSON payload (the JSON API path) with the same form class, rules and messages.

The payload is checked for JSON types first (a form post cannot send 3 where text is expected, JSON
can), then turned into the formdata a browser would send and run through the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from forms.keywords import choice_key
from forms.schema import SlotProvider, build_form_class, form_data
from forms.spec import FieldSpec

CHOICE_KINDS = frozenset({"select", "radio", "slots"})
# The messages the web form gives for the same mistake, so both paths read alike.
TYPE_MESSAGES = {
    "integer": _l("Enter a whole number."),
    "number": _l("Enter a number, for example 36.6."),
    "boolean": _l("Answer with true or false."),
    "string": _l("Enter text."),
}


def _fits(json_type: str, value: Any) -> bool:
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def _as_formdata(spec: FieldSpec, value: Any) -> tuple[list[str], Any]:
    """(formdata values, None) or ([], the error message)."""
    if spec.kind == "upload":
        return [], _l("Files cannot be sent as JSON; attach them with the form.")
    if spec.json_type == "array":
        if not isinstance(value, list) or not all(isinstance(x, str | int | float) for x in value):
            return [], _l("Choose from the listed options.")
        return [choice_key(x) for x in value], None
    if spec.json_type == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema counts 40.0 as an integer
    if not _fits(spec.json_type, value):
        if spec.kind in CHOICE_KINDS:
            return [], _l("Choose one of the listed options.")
        return [], TYPE_MESSAGES[spec.json_type]
    if spec.json_type == "boolean":
        return (["y"] if value else []), None
    return [choice_key(value)], None


def validate_json(
    schema: dict[str, Any],
    ui_schema: dict[str, Any] | None,
    data: Mapping[str, Any],
    *,
    choices_providers: Mapping[str, SlotProvider] | None = None,
    task_data: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(clean data, errors by property name). Clean data is {} unless there are no errors.

    Needs an app context (messages are translated in the current locale). A payload that is not an
    object is reported under "_form". Unknown keys are dropped, or are errors when the schema says
    ``additionalProperties: false``; read-only fields are ignored; files cannot come this way.
    """
    form_class = build_form_class(schema, ui_schema, choices_providers=choices_providers)
    if not isinstance(data, Mapping):
        # "_form" cannot clash with a property: property names start with a letter.
        return {}, {"_form": [str(_l("Send the answers as a JSON object."))]}
    spec = form_class.form_spec
    errors: dict[str, list[str]] = {}
    formdata: MultiDict[str, str] = MultiDict()
    known = {field.name for field in spec.fields}
    if spec.closed:
        for key in sorted(k for k in data if k not in known):
            errors[key] = [str(_l("This field is not part of the form."))]
    for field in spec.fields:
        value = data.get(field.name)
        if field.readonly or value is None:
            continue
        values, problem = _as_formdata(field, value)
        if problem is not None:
            errors[field.name] = [str(problem)]
        for item in values:
            formdata.add(field.name, item)

    form = form_class(formdata=formdata, task_data=task_data, meta={"csrf": False})
    form.validate()
    for name, messages in form.errors.items():
        errors.setdefault(name, [str(m) for m in messages])
    return ({} if errors else form_data(form)), errors
