"""Pathway texts in API answers, in the client's language, exactly as the pages show them.

Each text goes through `forms.translated`, the look-up behind the pages' ``authored`` filter and the
forms built for them, so the app and the page read the same. Which keys of a form file hold a text a
person reads is the catalog extractor's decision (`forms.babel_extract`): whatever it puts into the
catalog is translated here, and nothing else.

Values are never translated: task data and BPMN conditions compare them, and a client sends them back.
A string ``enum`` is both values and labels (the pages show the value as the label), so its values stay
and the labels go into the field's uiSchema as RJSF's ``ui:enumNames``, one per value.
"""

from __future__ import annotations

from typing import Any

from forms import translated
from forms.babel_extract import LIST_KEYS, SKIPPED_KEYS, TEXT_KEYS

# "enum" is a list of values, not of texts; "labels" (intensity sliders) is texts.
TEXT_LIST_KEYS = LIST_KEYS - {"enum"}


def form(schema: dict[str, Any] | None, ui_schema: dict[str, Any] | None) -> tuple[Any, Any]:
    """Translated copies of a task's form schema and uiSchema (null stays null); the stored ones are
    left untouched."""
    shown_ui = _ui(ui_schema) if isinstance(ui_schema, dict) else ui_schema
    if not isinstance(schema, dict):
        return schema, shown_ui
    for name, prop in (schema.get("properties") or {}).items():
        labels = _enum_labels(prop)
        if labels is not None:
            shown_ui = dict(shown_ui or {})
            entry = shown_ui.get(name)
            shown_ui[name] = {**(entry if isinstance(entry, dict) else {}), "ui:enumNames": labels}
    return _schema(schema), shown_ui


def _enum_labels(prop: Any) -> list[Any] | None:
    """The option labels of an enum field (or of an enum array's items), as the pages show them."""
    if not isinstance(prop, dict):
        return None
    source = prop.get("items") if prop.get("type") == "array" else prop
    values = source.get("enum") if isinstance(source, dict) else None
    if not isinstance(values, list):
        return None
    return [translated(v) if isinstance(v, str) else str(v) for v in values]


def _schema(node: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema node: its own keywords, then each property by name (a property may be called
    "title" or "default", so the names are never taken for keywords)."""
    shown = _walk({key: value for key, value in node.items() if key != "properties"})
    properties = node.get("properties")
    if isinstance(properties, dict):
        shown["properties"] = {name: _schema(p) if isinstance(p, dict) else p for name, p in properties.items()}
    elif "properties" in node:
        shown["properties"] = properties
    return {key: shown[key] for key in node}  # the authored key order


def _ui(ui_schema: dict[str, Any]) -> dict[str, Any]:
    # Top-level keys are field names (or ui:order, ui:submitButtonOptions), never keywords themselves.
    return {key: _walk(value) for key, value in ui_schema.items()}


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    shown: dict[str, Any] = {}
    for key, value in node.items():
        if key in SKIPPED_KEYS or (key == "enum" and isinstance(value, list)):
            shown[key] = value  # JSON values are not changed below, so sharing them is safe
        elif key in TEXT_KEYS and isinstance(value, str):
            shown[key] = translated(value)
        elif key in TEXT_LIST_KEYS and isinstance(value, list):
            shown[key] = [translated(item) for item in value]
        else:
            shown[key] = _walk(value)
    return shown
