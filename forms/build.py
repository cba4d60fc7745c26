"""One checked `FieldSpec` -> one unbound WTForms field with its validators."""

from __future__ import annotations

from typing import Any

from wtforms import FormField
from wtforms.fields.core import UnboundField

from forms import validators as v
from forms.authored import authored
from forms.domain import DocumentUploadField, IntensityField, MeasurementField, SlotField
from forms.fields import (
    CheckboxField,
    DateField,
    DateTimeField,
    EmailField,
    MultiCheckboxField,
    NumberField,
    RadioChoiceField,
    SelectChoiceField,
    TelField,
    TextAreaField,
    TextField,
    strip_text,
)
from forms.options import DEFAULT_ACCEPT, DEFAULT_MAX_SIZE_MB
from forms.sections import GroupField, RepeatField, SectionForm
from forms.spec import FieldSpec, FormSpec

TEXT_KINDS = {"text": TextField, "textarea": TextAreaField, "email": EmailField, "tel": TelField}
DATE_KINDS = {"date": DateField, "datetime": DateTimeField}


def label_of(spec: FieldSpec) -> Any:
    """The schema's title (in the reader's language when the catalog has it); else the name made readable."""
    return authored(spec.ui.get("ui:title") or spec.schema.get("title") or spec.name.replace("_", " ").capitalize())


def _choices(spec: FieldSpec) -> list[tuple[Any, Any]]:
    # Only the labels are translated: the values are what task data and BPMN conditions compare.
    return [(value, authored(label)) for value, label in spec.choices]


def make_field(spec: FieldSpec) -> UnboundField:
    s, options = spec.schema, spec.options
    common: dict[str, Any] = {
        "label": label_of(spec),
        "description": authored(spec.ui.get("ui:description") or s.get("description", "")),
        "help_text": authored(spec.ui.get("ui:help")),
        "placeholder": authored(spec.ui.get("ui:placeholder")),
        "readonly": spec.readonly,
        "hidden": spec.hidden,
        "autofocus": bool(spec.ui.get("ui:autofocus")),
    }
    if "default" in s and spec.kind != "intensity":
        common["default"] = s["default"]
    if spec.kind == "group" and spec.children is not None:
        return GroupField(section_class(spec.children), **{k: common[k] for k in _SECTION_KEYS})
    if spec.kind == "repeat":
        return _repeat_field(spec, common)
    chain: list[Any] = [v.Required() if spec.required else v.SkipIfEmpty()]
    if "check" in options:
        chain.append(v.AnswerCheck(options["check"]))

    if spec.kind in TEXT_KINDS:
        if "minLength" in s or "maxLength" in s:
            chain.append(v.Length(s.get("minLength"), s.get("maxLength")))
        if "pattern" in s:
            chain.append(v.Pattern(s["pattern"]))
        if spec.kind == "email":
            chain.append(v.Email())
        if spec.kind == "tel":
            chain.append(v.Phone())
        render = {"rows": options["rows"]} if "rows" in options else None
        return TEXT_KINDS[spec.kind](validators=chain, filters=[strip_text], render_kw=render, **common)
    if spec.kind in DATE_KINDS:
        return DATE_KINDS[spec.kind](validators=chain, **common)
    if spec.kind == "checkbox":
        return CheckboxField(validators=chain, **common)
    if spec.kind == "select":
        return SelectChoiceField(validators=chain, options=_choices(spec), **common)
    if spec.kind == "radio":
        return RadioChoiceField(validators=chain, options=_choices(spec), **common)
    if spec.kind == "checkboxes":
        chain.append(v.ItemCount(s))
        return MultiCheckboxField(validators=chain, options=_choices(spec), **common)
    if spec.kind == "slots":
        return SlotField(validators=chain, provider=options["provider"], **common)
    if spec.kind == "upload":
        multiple = spec.json_type == "array"
        return DocumentUploadField(
            validators=chain,
            accept=options.get("accept", list(DEFAULT_ACCEPT)),
            max_size_mb=options.get("maxSizeMb", DEFAULT_MAX_SIZE_MB),
            max_files=options.get("maxFiles") if multiple else 1,
            multiple=multiple,
            **common,
        )
    return _number_field(spec, chain, common)


def _number_field(spec: FieldSpec, chain: list[Any], common: dict[str, Any]) -> UnboundField:
    s, options = spec.schema, spec.options
    integer = spec.json_type == "integer"
    unit: Any = authored(options.get("unit")) if spec.kind == "measurement" else None
    # An intensity scale starts at 0 whether or not the file says minimum: 0.
    bounds = {"minimum": 0, **s} if spec.kind == "intensity" else s
    chain.append(v.NumberRange(bounds, unit=unit))
    step = s.get("multipleOf") or options.get("step")
    if "multipleOf" in s:
        chain.append(v.MultipleOf(s["multipleOf"]))
    # Without a step browsers refuse decimals in a number input; "any" lets 36.6 through.
    render = {"step": v.show_number(step) if step else ("1" if integer else "any")}
    if spec.kind == "measurement":
        return MeasurementField(
            validators=chain, integer=integer, unit=unit, render_kw=render,
            low=v.show_number(s["minimum"]), high=v.show_number(s["maximum"]), **common,
        )
    if spec.kind == "intensity":
        labels = [authored(text) for text in options.get("labels", [])]
        return IntensityField(validators=chain, maximum=s["maximum"], labels=labels, **common)
    return NumberField(validators=chain, integer=integer, render_kw=render, **common)


_SECTION_KEYS = ("label", "description", "help_text", "readonly")


def section_class(form: FormSpec) -> type[SectionForm]:
    """The fields of a group (or of an entry of a repeating section) as a sub-form class."""
    return type("BuiltSection", (SectionForm,), {field.name: make_field(field) for field in form.fields})


def _repeat_field(spec: FieldSpec, common: dict[str, Any]) -> UnboundField:
    if spec.children is not None:
        entry: Any = FormField(section_class(spec.children), label=label_of(spec))
    else:
        assert spec.item is not None
        item = spec.item
        titled = FieldSpec(item.name, {**item.schema, "title": item.schema.get("title") or spec.schema.get("title")},
                           item.ui, False, item.kind, item.hidden)  # a blank entry is dropped, not an error
        entry = make_field(titled)
    s = spec.schema
    return RepeatField(entry, min_items=s.get("minItems", 0), max_items=s.get("maxItems"),
                       validators=[v.Required()] if spec.required else [],
                       **{k: common[k] for k in _SECTION_KEYS})
