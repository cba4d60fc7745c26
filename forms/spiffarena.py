"""SpiffArena's form conventions turned into the schema subset `forms` builds, before building.

What SpiffArena's backend and its rjsf front end do to a form file, done here in the same order:
- `definitions` + `$ref: "#/definitions/X"` are resolved (the referring property's own keywords win);
- `"anyOf": ["options_from_task_data_var:colors"]` (and the same list as an array's `items`) become
  options from the task data list `colors` of `{"value", "label"}` (plain values are taken as both);
- `form_ui_hidden_fields` in the task data hides those fields (`"building.floor"` for a nested one);
- `{{ ... }}` in titles and descriptions is rendered over the task data (sandboxed Jinja, as in
  instructions);
- the `ui:options` of SpiffArena's `formattedNumber` widget become what the number input checks:
  `decimals` a `multipleOf` (0.01 for 2), `allowNegative: false` a `minimum` of 0, and `locale` goes
  (the browser shows the number in the reader's language). Anything else stays, and the check names it.
Without task data (`data=None`: the deploy-time check) a dynamic list stands for one placeholder
option, so the form's structure is checked while its options stay the instance's.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from forms.authored import translated
from forms.errors import Problem
from forms.instructions import render_text

DYNAMIC_PREFIX = "options_from_task_data_var:"
HIDDEN_FIELDS_VAR = "form_ui_hidden_fields"
PLACEHOLDER = "option"
TEXT_KEYS = ("title", "description")


class DynamicOptionsMissing(ValueError):
    """The task data lacks the list a dynamic enum names; the message names the variable."""


def prepare(schema: Any, ui_schema: Any, data: Mapping[str, Any] | None) -> tuple[Any, Any]:
    """(schema, ui schema) ready for `build_form_class`; the inputs are left unchanged."""
    if not isinstance(schema, dict):
        return schema, ui_schema
    definitions = schema.get("definitions") if isinstance(schema.get("definitions"), dict) else {}
    result = _resolve(copy.deepcopy(schema), definitions, 0)
    if isinstance(result, dict):
        result.pop("definitions", None)
        _fill_dynamic(result, data)
        if data is not None:
            _render_texts(result, data)
    ui = copy.deepcopy(ui_schema) if isinstance(ui_schema, dict) else ui_schema
    if isinstance(result, dict) and isinstance(ui, dict):
        _formatted_numbers(result, ui)
    hidden = data.get(HIDDEN_FIELDS_VAR) if data is not None else None
    if isinstance(hidden, list) and isinstance(result, dict):
        ui = ui if isinstance(ui, dict) else {}
        for path in hidden:
            if isinstance(path, str):
                _hide(result, ui, path.split("."))
    return result, ui


def _resolve(node: Any, definitions: dict[str, Any], depth: int) -> Any:
    if depth > 20:  # a definition that refers to itself: left as is, the check then names "$ref"
        return node
    if isinstance(node, list):
        return [_resolve(item, definitions, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/") and ref[14:] in definitions:
        own = {k: v for k, v in node.items() if k != "$ref"}
        node = {**copy.deepcopy(definitions[ref[14:]]), **own}
        return _resolve(node, definitions, depth + 1)
    return {k: (v if k == "definitions" else _resolve(v, definitions, depth + 1)) for k, v in node.items()}


def _dynamic_name(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) and value[0].startswith(DYNAMIC_PREFIX):
        return value[0][len(DYNAMIC_PREFIX):]
    return None


def _options(name: str, data: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if data is None:
        return [{"const": PLACEHOLDER, "title": PLACEHOLDER}]
    found = data.get(name)
    if not isinstance(found, list) or not found:
        raise DynamicOptionsMissing(f"the task data has no list {name!r} for the options of this form")
    options = []
    for item in found:
        if isinstance(item, dict) and "value" in item:
            options.append({"const": item["value"], "title": str(item.get("label", item["value"]))})
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            options.append({"const": item, "title": str(item)})
    return options


def _fill_dynamic(node: Any, data: Mapping[str, Any] | None) -> None:
    if isinstance(node, list):
        for item in node:
            _fill_dynamic(item, data)
        return
    if not isinstance(node, dict):
        return
    name = _dynamic_name(node.get("anyOf"))
    if name is not None:
        del node["anyOf"]
        node["oneOf"] = _options(name, data)
        node.setdefault("type", "string")
    items_name = _dynamic_name(node.get("items"))
    if items_name is not None:
        node["items"] = {"type": "string", "oneOf": _options(items_name, data)}
        node.setdefault("uniqueItems", True)
    for key, value in node.items():
        if key not in ("oneOf", "enum"):
            _fill_dynamic(value, data)


def _render_texts(node: Any, data: Mapping[str, Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _render_texts(item, data)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str) and "{" in value:
                node[key] = render_text(translated(value), data)
            else:
                _render_texts(value, data)


def _formatted_numbers(schema: dict[str, Any], ui: dict[str, Any]) -> None:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for name, prop in properties.items():
        entry = ui.get(name)
        if not isinstance(prop, dict) or not isinstance(entry, dict):
            continue
        items, item_ui = prop.get("items"), entry.get("items")
        if isinstance(items, dict) and isinstance(item_ui, dict):  # a repeating section's entries
            _formatted_numbers({"properties": {"entry": items}}, {"entry": item_ui})
        _formatted_numbers(prop, entry)  # a group's fields
        options = entry.get("ui:options")
        if entry.get("ui:widget") == "formattedNumber" and isinstance(options, dict):
            _number_options(prop, options)


def _number_options(prop: dict[str, Any], options: dict[str, Any]) -> None:
    decimals = options.get("decimals")
    if isinstance(decimals, int) and not isinstance(decimals, bool) and 0 <= decimals <= 10:
        del options["decimals"]
        prop.setdefault("multipleOf", 1 if decimals == 0 else float(f"1e-{decimals}"))
    if options.get("allowNegative") is False:
        del options["allowNegative"]
        low = prop.get("minimum")
        if not isinstance(low, int | float) or isinstance(low, bool) or low < 0:
            prop["minimum"] = 0
    elif options.get("allowNegative") is True:
        del options["allowNegative"]  # the schema's own minimum still holds, as in SpiffArena
    if isinstance(options.get("locale"), str):
        del options["locale"]


def _hide(schema: dict[str, Any], ui: dict[str, Any], path: list[str]) -> None:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    name = path[0]
    if name not in properties:
        return
    entry = ui.setdefault(name, {})
    if not isinstance(entry, dict):
        return
    if len(path) == 1:
        entry["ui:widget"] = "hidden"
    elif isinstance(properties[name], dict):
        _hide(properties[name], entry, path[1:])


def check_task_form(schema: Any, ui_schema: Any) -> list[Problem]:
    """Deploy's question: can this form (with this UI schema) be shown? Every reason (msgid and
    parameters, see forms.errors), or []."""
    from forms.schema import schema_problems  # schema.py builds on this module's neighbours, not on it

    prepared, ui = prepare(schema, ui_schema, None)
    return schema_problems(prepared, ui)


def coded_task_form_problems(schema: Any, ui_schema: Any) -> list[dict[str, object]]:
    """`check_task_form` as the engine's deploy asks it (engine.workflow.validation.FormCheck): each
    problem as a message with its parameters, shown later in the reader's or the terminal's language."""
    return [problem.coded() for problem in check_task_form(schema, ui_schema)]
