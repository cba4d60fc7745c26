"""Reading a form file (JSON Schema + uiSchema) into field specs, collecting every problem on the way.

Nothing here knows WTForms: `build.py` turns the specs into fields. Keeping the reading apart lets the
studio ask for the problems of a file (`check_schema`) without building anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.i18n import N_, nested_message
from forms.errors import Problem
from forms.keywords import check_default, check_values, choices_of
from forms.options import check_widget_options

ROOT_KEYWORDS = frozenset(
    {"$schema", "$id", "$comment", "type", "title", "description", "properties", "required",
     "additionalProperties", "allOf"}
)
COMMON_KEYWORDS = frozenset({"type", "title", "description", "default", "readOnly", "$comment"})
NUMBER_KEYWORDS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum", "oneOf"}
)
TYPE_KEYWORDS: dict[str, frozenset[str]] = {
    "string": frozenset({"minLength", "maxLength", "pattern", "format", "enum", "oneOf"}),
    "integer": NUMBER_KEYWORDS,
    "number": NUMBER_KEYWORDS,
    "boolean": frozenset(),
    "array": frozenset({"items", "uniqueItems", "minItems", "maxItems"}),
}
ITEM_KEYWORDS = frozenset({"type", "title", "enum", "oneOf", "format", "$comment"})
STRING_FORMATS = {"date": "date", "date-time": "datetime", "email": "email", "tel": "tel"}
# RJSF's file widget stores files as data URLs; accepting the format keeps SpiffArena files valid.
UPLOAD_FORMAT = "data-url"
FIELD_UI_KEYS = frozenset({"ui:widget", "ui:options", "ui:help", "ui:placeholder", "ui:readonly", "ui:autofocus",
                           "ui:title", "ui:description"})
# A nested object (a group of fields) and an array of objects or plain values (a repeating section).
OBJECT_KEYWORDS = frozenset({"type", "title", "description", "properties", "required", "$comment", "default"})
GROUP_UI_KEYS = frozenset({"ui:order", "ui:help", "ui:options", "ui:title", "ui:description"})
REPEAT_UI_KEYS = frozenset({"ui:help", "ui:options", "ui:orderable", "ui:addable", "ui:removable", "items"})
ROOT_UI_KEYS = frozenset({"ui:order", "ui:submitButtonOptions"})
# ui:widget value -> field kind, per JSON type. Kinds are what the fields and the template dispatch on.
# Two of SpiffArena's own widgets (spiffworkflow-frontend, CustomForm.tsx) have a CarePath meaning:
# "markdown", its Markdown editor over a text, is a textarea (the text is kept as typed, as there), and
# "formattedNumber", a number typed with the locale's separators, is the number input (shown in the
# reader's language by the browser).
WIDGETS: dict[str, dict[str, str]] = {
    "string": {"text": "text", "textarea": "textarea", "select": "select", "radio": "radio", "date": "date",
               "hidden": "hidden", "slot-picker": "slots", "document-upload": "upload", "markdown": "textarea"},
    "integer": {"updown": "number", "select": "select", "radio": "radio", "hidden": "hidden",
                "measurement": "measurement", "intensity": "intensity", "formattedNumber": "number"},
    "number": {"updown": "number", "select": "select", "radio": "radio", "hidden": "hidden",
               "measurement": "measurement", "formattedNumber": "number"},
    "boolean": {"checkbox": "checkbox"},
    "array": {"checkboxes": "checkboxes", "document-upload": "upload"},
}
# SpiffArena's widgets (ui:widget) and fields (ui:field) that need what CarePath does not have: refused at
# deploy, naming the field, with what to use instead.
REFUSED_WIDGET = N_("SpiffArena's %(widget)s widget is not available in CarePath: %(instead)s")
SPIFFARENA_ONLY: dict[tuple[str, str], str] = {
    ("ui:widget", "typeahead"): N_("it looks its options up through a SpiffArena connector endpoint; list them "
                                   "with enum or oneOf, or take them from the task data (options_from_task_data_var)"),
    ("ui:widget", "date-range"): N_("use two date fields, one for the start and one for the end"),
    ("ui:field", "numeric-range"): N_("use two number fields, one for the minimum and one for the maximum"),
    ("ui:field", "calculated"): N_("compute the value in a script task after the form"),
}
TEXT_KINDS = frozenset({"text", "textarea", "email", "tel"})
NUMBER_KINDS = frozenset({"number", "measurement", "intensity"})
# Keywords that mean something for some kinds only; elsewhere they would be silently ignored (or make
# a validator compare a date with a length), so the analyst hears about it instead.
ONLY_FOR_KINDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("minLength", "maxLength", "pattern"), TEXT_KINDS),
    **dict.fromkeys(("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"), NUMBER_KINDS),
    **dict.fromkeys(("minItems", "maxItems"), frozenset({"checkboxes", "repeat"})),
    "uniqueItems": frozenset({"checkboxes", "upload"}),
}
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class FieldSpec:
    """One property of the form with its uiSchema entry, already checked."""

    name: str
    schema: dict[str, Any]
    ui: dict[str, Any]
    required: bool
    kind: str  # text, textarea, email, tel, date, datetime, select, radio, checkbox, checkboxes,
    #            number, measurement, intensity, slots, upload, group, repeat
    hidden: bool  # ui:widget hidden: the kind's parsing, a hidden input
    children: FormSpec | None = None  # a group's fields, or each entry's of a repeating section of objects
    item: FieldSpec | None = None  # each entry of a repeating section of plain values

    @property
    def json_type(self) -> str:
        return self.schema["type"]

    @property
    def options(self) -> dict[str, Any]:
        return self.ui.get("ui:options") or {}

    @property
    def readonly(self) -> bool:
        return bool(self.schema.get("readOnly") or self.ui.get("ui:readonly"))

    @property
    def choices(self) -> list[tuple[Any, str]]:
        """(JSON value, label) pairs of an enum/oneOf, on the property or on its array items."""
        source = self.schema.get("items", self.schema) if self.json_type == "array" else self.schema
        return choices_of(source)


@dataclass(frozen=True)
class Condition:
    """JSON Schema's ``if``/``then`` in ``allOf``, the subset forms check: when `field` holds one of
    `values`, the `required` fields must be given too (a "schedule" decision needs its time)."""

    field: str
    values: tuple[Any, ...]
    required: tuple[str, ...]


@dataclass(frozen=True)
class FormSpec:
    title: str | None
    description: str | None
    submit_label: str | None
    closed: bool  # additionalProperties: false -> unknown keys in a JSON payload are errors
    fields: list[FieldSpec]
    conditions: tuple[Condition, ...] = ()


def read_spec(
    schema: Any, ui_schema: Any, reserved: frozenset[str], providers: frozenset[str] | None
) -> tuple[FormSpec | None, list[Problem]]:
    """Check the whole file; return the spec (None when the form cannot be built) and all problems."""
    problems: list[Problem] = []
    if not isinstance(schema, dict):
        return None, [Problem(None, None, N_("the schema must be a JSON object"))]
    ui_schema = ui_schema if ui_schema is not None else {}
    if not isinstance(ui_schema, dict):
        return None, [Problem(None, None, N_("the uiSchema must be a JSON object"))]
    for key in sorted(schema.keys() - ROOT_KEYWORDS):
        problems.append(Problem(None, key, N_("unsupported keyword at the top level")))
    if schema.get("type") != "object":
        problems.append(Problem(None, "type", N_('the form schema must have "type": "object"')))
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return None, [*problems, Problem(None, "properties", N_("the form needs at least one property"))]
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        problems.append(Problem(None, "required", N_("must be a list of property names")))
        required = []
    for name in required:
        if name not in properties:
            problems.append(Problem(name, "required", N_("is required but is not a property")))
    if not isinstance(schema.get("additionalProperties", True), bool):
        problems.append(Problem(None, "additionalProperties", N_("only true or false is supported")))

    for key, value in ui_schema.items():
        if key.startswith("ui:") and key not in ROOT_UI_KEYS:
            problems.append(Problem(None, key, N_("unsupported uiSchema keyword at the top level")))
        elif not key.startswith("ui:") and key not in properties:
            problems.append(Problem(key, None, N_("the uiSchema describes a field that is not a property")))
        elif not key.startswith("ui:") and not isinstance(value, dict):
            problems.append(Problem(key, None, N_("its uiSchema entry must be an object")))
    submit_label = _submit_label(ui_schema.get("ui:submitButtonOptions"), problems)
    order = _ordered_names(list(properties), ui_schema.get("ui:order"), problems)

    fields = []
    for name in order:
        ui = ui_schema.get(name)
        spec = _read_field(name, properties[name], ui if isinstance(ui, dict) else {},
                           name in required, reserved, providers, problems)
        if spec is not None:
            fields.append(spec)
    conditions = read_conditions(schema.get("allOf"), properties, problems)
    title, description = schema.get("title"), schema.get("description")
    form = FormSpec(
        title=title if isinstance(title, str) else None,
        description=description if isinstance(description, str) else None,
        submit_label=submit_label,
        closed=schema.get("additionalProperties") is False,
        fields=fields,
        conditions=conditions,
    )
    return form, problems


CONDITION_SHAPE = N_('each allOf entry must be {"if": {"properties": {"<field>": {"const": ...} or {"enum": [...]}}}, '
                     '"then": {"required": ["<field>", ...]}}')


def read_conditions(rules: Any, properties: dict[str, Any], problems: list[Problem]) -> tuple[Condition, ...]:
    """``allOf: [{if, then}]`` -> conditions; anything beyond "this answer makes those fields required" is a
    problem, so a file never promises a check the form does not make."""
    if rules is None:
        return ()
    if not isinstance(rules, list):
        problems.append(Problem(None, "allOf", N_("must be a list")))
        return ()
    found = []
    for rule in rules:
        condition = _condition(rule, properties)
        if condition is None:
            problems.append(Problem(None, "allOf", CONDITION_SHAPE))
            continue
        for name in (condition.field, *condition.required):
            if name not in properties:
                problems.append(Problem(name, "allOf", N_("is named in a condition but is not a property")))
        found.append(condition)
    return tuple(found)


def _condition(rule: Any, properties: dict[str, Any]) -> Condition | None:
    if not isinstance(rule, dict) or rule.keys() - {"if", "then", "$comment"}:
        return None
    test, then = rule.get("if"), rule.get("then")
    if not isinstance(test, dict) or test.keys() - {"properties", "required"} or not isinstance(then, dict):
        return None
    tested = test.get("properties")
    if not isinstance(tested, dict) or len(tested) != 1 or then.keys() != {"required"}:
        return None
    (name, match), = tested.items()
    if not isinstance(match, dict) or len(match) != 1 or not match.keys() <= {"const", "enum"}:
        return None
    values = [match["const"]] if "const" in match else match["enum"]
    required = then["required"]
    if not isinstance(values, list) or not values or not isinstance(required, list) or not required \
            or not all(isinstance(r, str) for r in required):
        return None
    return Condition(field=name, values=tuple(values), required=tuple(required))


def _submit_label(options: Any, problems: list[Problem]) -> str | None:
    if options is None:
        return None
    if not isinstance(options, dict) or options.keys() - {"submitText"}:
        problems.append(Problem(None, "ui:submitButtonOptions", N_('only {"submitText": "..."} is supported')))
        return None
    text = options.get("submitText")
    return text if isinstance(text, str) else None


def _ordered_names(names: list[str], order: Any, problems: list[Problem]) -> list[str]:
    """RJSF's ui:order: listed names first, "*" stands for all the others in schema order."""
    if order is None:
        return names
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        problems.append(Problem(None, "ui:order", N_("must be a list of property names")))
        return names
    unknown = [n for n in order if n != "*" and n not in names]
    if unknown:
        problems.append(Problem(None, "ui:order", N_("names fields that are not properties: %(names)s"),
                                {"names": ", ".join(unknown)}))
    if len(set(order)) != len(order):
        problems.append(Problem(None, "ui:order", N_("lists a name twice")))
    listed = [n for n in order if n in names]
    rest = [n for n in names if n not in listed]
    if "*" not in order:
        if rest:
            problems.append(Problem(None, "ui:order", N_('does not list %(names)s and has no "*"'), {"names": ", ".join(rest)}))
        return listed + rest
    star = order.index("*")
    before = [n for n in order[:star] if n in names]
    after = [n for n in order[star + 1:] if n in names]
    return before + rest + after


def _read_field(
    name: str, prop: Any, ui: dict[str, Any], required: bool, reserved: frozenset[str],
    providers: frozenset[str] | None, problems: list[Problem],
) -> FieldSpec | None:
    def problem(keyword: str | None, message: str, **params: Any) -> None:
        problems.append(Problem(name, keyword, message, params))

    if not NAME_RE.match(name):
        problem(None, N_("a property name must be letters, digits and _ and start with a letter, "
                         "so BPMN expressions can use it"))
    elif name in reserved:
        problem(None, N_("this name is used by the form itself; rename the property"))
    if not isinstance(prop, dict):
        problem(None, N_("the property must be a JSON object"))
        return None
    for key in ("ui:widget", "ui:field"):
        instead = SPIFFARENA_ONLY.get((key, ui[key])) if isinstance(ui.get(key), str) else None
        if instead is not None:
            problem(key, REFUSED_WIDGET, widget=ui[key], instead=nested_message(instead))
            return None
    json_type = prop.get("type")
    if json_type == "object" or (json_type is None and isinstance(prop.get("properties"), dict)):
        return _read_group(name, prop, ui, required, reserved, providers, problems)
    if json_type == "array" and _is_repeat(prop, ui):
        return _read_repeat(name, prop, ui, required, reserved, providers, problems)
    if not isinstance(json_type, str) or json_type not in TYPE_KEYWORDS:
        problem("type", N_("must be one of %(types)s, got %(value)s"), types=", ".join(TYPE_KEYWORDS),
                value=repr(json_type))
        return None
    for key in sorted(prop.keys() - COMMON_KEYWORDS - TYPE_KEYWORDS[json_type]):
        problem(key, N_("unsupported keyword for a %(type)s field"), type=json_type)
    for key in sorted(k for k in ui.keys() - FIELD_UI_KEYS):
        problem(key, N_("unsupported uiSchema keyword"))

    check_values(prop, json_type, problem)
    resolved = _kind(prop, ui, json_type, problem)
    if resolved is None:
        return None
    kind, hidden = resolved
    for key in sorted(prop.keys() & ONLY_FOR_KINDS.keys()):
        if kind not in ONLY_FOR_KINDS[key]:
            problem(key, N_("does not apply to a %(kind)s field"), kind=kind)
    check_widget_options(kind, prop, ui.get("ui:options"), providers, problem)
    if "default" in prop:
        check_default(prop, json_type, kind, problem)
    for key in ("ui:help", "ui:placeholder", "ui:title", "ui:description"):
        if key in ui and not isinstance(ui[key], str):
            problem(key, N_("must be text"))
    for key in ("ui:readonly", "ui:autofocus"):
        if key in ui and not isinstance(ui[key], bool):
            problem(key, N_("must be true or false"))
    return FieldSpec(name=name, schema=prop, ui=ui, required=required, kind=kind, hidden=hidden)


def _nested(name: str, found: list[Problem], problems: list[Problem]) -> None:
    for p in found:
        problems.append(Problem(f"{name}.{p.field}" if p.field else name, p.keyword, p.message, p.params))


def _read_group(name: str, prop: dict[str, Any], ui: dict[str, Any], required: bool, reserved: frozenset[str],
                providers: frozenset[str] | None, problems: list[Problem]) -> FieldSpec | None:
    """A nested object (rjsf renders a fieldset): its fields are read like a form's."""
    for key in sorted(prop.keys() - OBJECT_KEYWORDS):
        problems.append(Problem(name, key, N_("unsupported keyword for an object field")))
    sub_ui = {k: v for k, v in ui.items() if not k.startswith("ui:") or k == "ui:order"}
    for key in sorted(k for k in ui if k.startswith("ui:") and k not in GROUP_UI_KEYS):
        problems.append(Problem(name, key, N_("unsupported uiSchema keyword for an object field")))
    body = {k: v for k, v in prop.items() if k in ("properties", "required")}
    children, found = read_spec({"type": "object", **body}, sub_ui, frozenset(), providers)
    _nested(name, found, problems)
    if children is None:
        return None
    return FieldSpec(name=name, schema={**prop, "type": "object"}, ui=ui, required=required, kind="group",
                     hidden=False, children=children)


def _is_repeat(prop: dict[str, Any], ui: dict[str, Any]) -> bool:
    items = prop.get("items")
    if not isinstance(items, dict) or "enum" in items or "oneOf" in items or items.get("format") == UPLOAD_FORMAT:
        return False
    return ui.get("ui:widget") not in ("checkboxes", "document-upload")


def _read_repeat(name: str, prop: dict[str, Any], ui: dict[str, Any], required: bool, reserved: frozenset[str],
                 providers: frozenset[str] | None, problems: list[Problem]) -> FieldSpec | None:
    """An array of objects or of plain values: rjsf's repeating section, one entry per item."""
    for key in sorted(prop.keys() - COMMON_KEYWORDS - {"items", "minItems", "maxItems"}):
        problems.append(Problem(name, key, N_("unsupported keyword for a repeating section")))
    for key in sorted(k for k in ui if k not in REPEAT_UI_KEYS):
        problems.append(Problem(name, key, N_("unsupported uiSchema keyword for a repeating section")))
    check_values(prop, "array", lambda k, m, **p: problems.append(Problem(name, k, m, p)))
    items = prop["items"]
    item_ui = ui.get("items") if isinstance(ui.get("items"), dict) else {}
    if items.get("type") == "object" or (items.get("type") is None and isinstance(items.get("properties"), dict)):
        body = {k: v for k, v in items.items() if k in ("properties", "required")}
        for key in sorted(items.keys() - OBJECT_KEYWORDS):
            problems.append(Problem(name, f"items.{key}", N_("unsupported keyword for an object field")))
        children, found = read_spec({"type": "object", **body}, item_ui, frozenset(), providers)
        _nested(name, found, problems)
        if children is None:
            return None
        return FieldSpec(name=name, schema=prop, ui=ui, required=required, kind="repeat", hidden=False,
                         children=children)
    found: list[Problem] = []
    item = _read_field("entry", items, item_ui, False, frozenset(), providers, found)
    _nested(name, [Problem(None if p.field == "entry" else p.field, p.keyword, p.message, p.params) for p in found],
            problems)
    if item is None:
        return None
    if item.kind in ("group", "repeat", "upload", "slots"):
        problems.append(Problem(name, "items", N_("entries of a repeating section cannot be %(kind)s fields"),
                                {"kind": item.kind}))
        return None
    return FieldSpec(name=name, schema=prop, ui=ui, required=required, kind="repeat", hidden=False, item=item)


def _default_kind(prop: dict[str, Any], json_type: str) -> str:
    if json_type == "array":
        items = prop.get("items")
        if not isinstance(items, dict):
            return "checkboxes"
        return "upload" if items.get("format") == UPLOAD_FORMAT else "checkboxes"
    if "enum" in prop or "oneOf" in prop:
        return "select"
    if json_type == "string":
        fmt = prop.get("format")
        if not isinstance(fmt, str):
            return "text"
        return "upload" if fmt == UPLOAD_FORMAT else STRING_FORMATS.get(fmt, "text")
    return {"integer": "number", "number": "number", "boolean": "checkbox"}[json_type]


def _kind(prop: dict[str, Any], ui: dict[str, Any], json_type: str, problem: Any) -> tuple[str, bool] | None:
    """(kind, hidden) of the field, or None when the widget or the items make it unbuildable."""
    widget = ui.get("ui:widget")
    has_choices = "enum" in prop or "oneOf" in prop
    if widget is not None and (not isinstance(widget, str) or widget not in WIDGETS[json_type]):
        problem("ui:widget", N_("%(widget)s is not available for a %(type)s field (available: %(available)s)"),
                widget=repr(widget), type=json_type, available=", ".join(WIDGETS[json_type]))
        return None
    hidden = widget == "hidden"
    # The plain widgets ("text", "updown") and "hidden" keep what the keywords say (a date stays a date).
    if widget is None or hidden or (widget in ("text", "updown") and not has_choices):
        kind = _default_kind(prop, json_type)
    else:
        kind = WIDGETS[json_type][widget]
    if hidden and kind in ("checkbox", "checkboxes", "upload"):
        problem("ui:widget", N_("a %(kind)s field cannot be hidden"), kind=kind)
    if kind in ("select", "radio") and not has_choices:
        problem("ui:widget", N_("%(widget)s needs enum or oneOf"), widget=repr(widget))
    if kind in ("text", "textarea", "number", "measurement", "intensity", "slots", "upload") and has_choices:
        problem("enum" if "enum" in prop else "oneOf", N_("cannot be combined with the %(kind)s widget"), kind=kind)
    _check_format(prop.get("format"), kind, problem)
    if json_type == "array":
        items = prop.get("items")
        if not isinstance(items, dict):
            problem("items", N_("an array needs an items object"))
            return None
        for key in sorted(items.keys() - ITEM_KEYWORDS):
            problem(f"items.{key}", N_("unsupported keyword in items"))
        if kind == "checkboxes" and "enum" not in items and "oneOf" not in items:
            problem("items", N_("only arrays of enum/oneOf (checkboxes) or uploads are supported"))
        if kind == "upload" and items.get("type", "string") != "string":
            problem("items.type", N_("uploaded files are strings"))
        _check_format(items.get("format"), kind, lambda k, m, **p: problem(f"items.{k}", m, **p))
        check_values(items, items.get("type"), lambda k, m, **p: problem(f"items.{k}", m, **p))
    return kind, hidden


def _check_format(fmt: Any, kind: str, problem: Any) -> None:
    if fmt is None or kind in STRING_FORMATS.values() or (kind == "upload" and fmt == UPLOAD_FORMAT):
        return  # no format, or the format that chose this kind
    if not isinstance(fmt, str):
        problem("format", N_("must be text"))
    elif fmt not in STRING_FORMATS and fmt != UPLOAD_FORMAT:
        problem("format", N_("%(format)s is not supported (supported: %(supported)s)"), format=repr(fmt),
                supported=", ".join(STRING_FORMATS))
    else:
        problem("format", N_("cannot be combined with the %(kind)s widget"), kind=kind)
