"""Sample answers to a form, made from its JSON schema, for test runs: every required field and every
field with a choice gets a valid value (first choice, lower bound, a date on the simulated clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

SAMPLE_TEXT = "Sample answer"


def sample_for(schema: Any, at: datetime) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties") or {}
    data: dict[str, Any] = {}
    for name, prop in properties.items():
        if not isinstance(prop, dict) or prop.get("readOnly"):
            continue
        value = _value(prop, at)
        if value is not None:
            data[name] = value
    return data


def _choices(prop: dict[str, Any]) -> list[Any]:
    if isinstance(prop.get("enum"), list):
        return list(prop["enum"])
    options = prop.get("oneOf") or prop.get("anyOf") or []
    return [o["const"] for o in options if isinstance(o, dict) and "const" in o]


def _value(prop: dict[str, Any], at: datetime) -> Any:
    for key in ("default", "const"):
        if key in prop:
            return prop[key]
    if isinstance(prop.get("examples"), list) and prop["examples"]:
        return prop["examples"][0]
    choices = _choices(prop)
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        inner = _choices(items)
        count = max(int(prop.get("minItems", 1) or 1), 1)
        return inner[:count] if inner else [_value(items, at) for _ in range(count)] if items else []
    if choices:
        return choices[0]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = prop.get("minimum", prop.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in prop else 0))
        high = prop.get("maximum")
        value = max(low, 1) if high is None or high >= 1 else low
        return int(value) if kind == "integer" else float(value)
    if kind == "object":
        return sample_for(prop, at)
    return _text(prop, at)


def _text(prop: dict[str, Any], at: datetime) -> str:
    fmt = prop.get("format")
    if fmt == "date":
        return (at + timedelta(days=1)).date().isoformat()
    if fmt == "date-time":
        return (at + timedelta(days=1)).replace(microsecond=0).isoformat()
    if fmt == "email":
        return "sample@example.org"
    if fmt == "tel":
        return "+79990000000"
    if fmt in ("uri", "url"):
        return "https://example.org/"
    text = SAMPLE_TEXT
    low, high = int(prop.get("minLength", 0) or 0), prop.get("maxLength")
    if len(text) < low:
        text = (text + " ") * (low // len(text) + 1)
    return text[: int(high)] if high else text
