"""What values each keyword may hold, checked so that building and validating never trip on them."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from engine.i18n import N_


def choices_of(schema: dict[str, Any]) -> list[tuple[Any, str]]:
    if "oneOf" in schema:
        return [(o["const"], str(o.get("title", o["const"]))) for o in schema["oneOf"]]
    return [(v, str(v)) for v in schema.get("enum", [])]


def choice_key(value: Any) -> str:
    """The string an option travels as in HTML and formdata; JSON text for non-strings (3 -> "3")."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_values(prop: dict[str, Any], json_type: str | None, problem: Any) -> None:
    """Keyword values of the right shape, so building and validating never trip on them."""
    for key in ("minLength", "maxLength", "minItems", "maxItems"):
        if key in prop and not (isinstance(prop[key], int) and not isinstance(prop[key], bool) and prop[key] >= 0):
            problem(key, N_("must be a whole number, 0 or more"))
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in prop and not _is_number(prop[key]):
            problem(key, N_("must be a number"))
    if "multipleOf" in prop and not (_is_number(prop["multipleOf"]) and prop["multipleOf"] > 0):
        problem("multipleOf", N_("must be a number above 0"))
    low: Any = prop.get("minimum")
    high: Any = prop.get("maximum")
    if _is_number(low) and _is_number(high) and float(low) > float(high):
        problem("maximum", N_("is below minimum"))
    for key in ("readOnly", "uniqueItems"):
        if key in prop and not isinstance(prop[key], bool):
            problem(key, N_("must be true or false"))
    for key in ("title", "description"):
        if key in prop and not isinstance(prop[key], str):
            problem(key, N_("must be text"))
    if "pattern" in prop:
        try:
            re.compile(prop["pattern"])
        except (re.error, TypeError) as exc:
            problem("pattern", N_("is not a valid regular expression (%(reason)s)"), reason=str(exc))
    if "enum" in prop and "oneOf" in prop:
        problem("oneOf", N_("use either enum or oneOf, not both"))
    elif "enum" in prop:
        if not isinstance(prop["enum"], list) or not prop["enum"]:
            problem("enum", N_("must be a non-empty list"))
        else:
            _check_choice_values(prop["enum"], json_type, "enum", problem)
    elif "oneOf" in prop:
        options = prop["oneOf"]
        if not isinstance(options, list) or not options or not all(
            isinstance(o, dict) and "const" in o and not o.keys() - {"const", "title"} for o in options
        ):
            problem("oneOf", N_('must be a non-empty list of {"const": ..., "title": ...}'))
        else:
            _check_choice_values([o["const"] for o in options], json_type, "oneOf", problem)


def _check_choice_values(values: list[Any], json_type: str | None, keyword: str, problem: Any) -> None:
    fits = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": _is_number,
    }.get(json_type or "", lambda v: isinstance(v, str | int | float))
    if not all(fits(v) for v in values):
        problem(keyword, N_("every option must be a %(type)s"), type=json_type)
    elif len({choice_key(v) for v in values}) != len(values):
        problem(keyword, N_("lists the same option twice"))


def check_default(prop: dict[str, Any], json_type: str, kind: str, problem: Any) -> None:
    default = prop["default"]
    if kind == "upload":
        problem("default", N_("an upload cannot have a default"))
    elif json_type == "array":
        keys = {choice_key(v) for v, _ in choices_of(prop.get("items", {}))}
        if not isinstance(default, list) or not all(choice_key(v) in keys for v in default):
            problem("default", N_("must be a list of the options"))
    elif "enum" in prop or "oneOf" in prop:
        if choice_key(default) not in {choice_key(v) for v, _ in choices_of(prop)}:
            problem("default", N_("must be one of the options"))
    elif json_type == "boolean" and not isinstance(default, bool):
        problem("default", N_("must be true or false"))
    elif json_type == "integer" and not (isinstance(default, int) and not isinstance(default, bool)):
        problem("default", N_("must be a whole number"))
    elif json_type == "number" and not _is_number(default):
        problem("default", N_("must be a number"))
    elif json_type == "string" and not isinstance(default, str):
        problem("default", N_("must be text"))
    elif kind == "date" and not _parses(date.fromisoformat, default):
        problem("default", N_("must be a date as YYYY-MM-DD"))
    elif kind == "datetime" and not _parses(datetime.fromisoformat, default):
        problem("default", N_("must be a date and time as YYYY-MM-DDTHH:MM"))


def _parses(parse: Any, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True
