"""A user task's form file (JSON Schema + uiSchema, SpiffArena/RJSF style) -> a Flask-WTF form class.

Supported subset (anything else is a `FormSchemaError` naming the field and keyword):

- top level: ``type: object``, ``properties``, ``required``, ``title``, ``description``,
  ``additionalProperties`` (true/false), ``$schema``, ``$id``, ``$comment``;
- every property: ``type`` (one of string, integer, number, boolean, array), ``title``, ``description``,
  ``default``, ``readOnly``, ``$comment``;
- string: ``minLength``, ``maxLength``, ``pattern`` (found anywhere, as in JSON Schema), ``format``
  date | date-time | email | tel, ``enum`` or ``oneOf: [{const, title}]`` (a select; ``ui:widget:
  radio`` for radio buttons); ``ui:widget: textarea`` (``ui:options: {rows}``);
- integer / number: ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``,
  ``multipleOf``, ``enum``/``oneOf``;
- boolean: a checkbox; a *required* boolean must be ticked (consent);
- array: ``items: {enum | oneOf}`` with ``uniqueItems``, ``minItems``, ``maxItems`` -> checkboxes;
- uiSchema per field: ``ui:widget``, ``ui:options``, ``ui:help``, ``ui:placeholder``, ``ui:readonly``;
  ``ui:widget: hidden`` for scalars; at the top: ``ui:order`` (with ``"*"``) and
  ``ui:submitButtonOptions: {submitText}``;
- domain widgets ``slot-picker``, ``document-upload``, ``measurement``, ``intensity``: see `forms.domain`.

Property names must be identifiers (BPMN expressions use them). Read-only fields show the value the form
was given (``data=``) and are never taken from a request nor returned by `form_data`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms.utils import unset_value

from forms.authored import authored
from forms.build import make_field
from forms.domain import DocumentUploadField, SlotField, Upload
from forms.errors import FormSchemaError, Problem
from forms.fields import SchemaField
from forms.spec import FormSpec, read_spec

SlotProvider = Callable[[Mapping[str, Any]], list[tuple[Any, Any]]]


class SchemaForm(FlaskForm):
    """Base of every built form. Construct with ``task_data=`` so slot pickers can ask for their slots."""

    form_spec: FormSpec  # set on every built class
    schema_title: str | None = None
    schema_description: str | None = None
    submit_label: str | None = None
    has_uploads: bool = False
    slot_providers: Mapping[str, SlotProvider] = {}

    def __init__(self, *args: Any, task_data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        self._task_data = dict(task_data or {})
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, SlotField):
                field.set_slots(self.slot_providers[field.provider](self._task_data))

    def process(self, formdata: Any = None, obj: Any = None, data: Any = None, extra_filters: Any = None,
                **kwargs: Any) -> None:
        super().process(formdata, obj, data, extra_filters, **kwargs)
        # Read-only values come from the task, not from the request (a disabled input is not even sent).
        initial = dict(data or {}, **kwargs)
        for field in self:
            if getattr(field, "readonly", False):
                if obj is not None and hasattr(obj, field.name):
                    field.process(None, getattr(obj, field.name))
                else:
                    field.process(None, initial.get(field.name, unset_value))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return self._check_conditions() and valid

    def _check_conditions(self) -> bool:
        """``allOf``/``if``-``then``: an answer that needs more fields (a time for "schedule") is refused
        with the field's own "required" message next to each missing one."""
        valid = True
        for condition in self.form_spec.conditions:
            chosen = self._fields.get(condition.field)
            if not isinstance(chosen, SchemaField) or chosen.errors or chosen.to_json() not in condition.values:
                continue
            for name in condition.required:
                field = self._fields.get(name)
                if isinstance(field, SchemaField) and not field.errors and not field.readonly and field.is_empty():
                    field.errors = [field.required_message]
                    valid = False
        return valid

    def schema_fields(self) -> list[SchemaField]:
        return [f for f in self if isinstance(f, SchemaField)]


RESERVED_NAMES = (
    frozenset(name for name in dir(SchemaForm) if not name.startswith("_"))
    | frozenset(SchemaForm.__annotations__)
    | {"csrf_token"}
)


def _read(schema: Any, ui_schema: Any, providers: frozenset[str] | None) -> tuple[FormSpec | None, list]:
    return read_spec(schema, ui_schema, RESERVED_NAMES, providers)


def check_schema(schema: Any, ui_schema: Any = None, *, providers: Any = None) -> list[str]:
    """Every problem of a form file, as English lines; [] when it can be deployed.

    `providers` (names of slot providers) makes a slot picker naming an unknown one a problem too.
    """
    return [str(p) for p in schema_problems(schema, ui_schema, providers=providers)]


def schema_problems(schema: Any, ui_schema: Any = None, *, providers: Any = None) -> list[Problem]:
    """Every problem of a form file, as msgid and parameters (to be shown in the reader's language)."""
    _, problems = _read(schema, ui_schema, frozenset(providers) if providers is not None else None)
    return problems


def build_form_class(
    schema: dict[str, Any],
    ui_schema: dict[str, Any] | None = None,
    *,
    choices_providers: Mapping[str, SlotProvider] | None = None,
) -> type[SchemaForm]:
    """The form class for a form file; raises `FormSchemaError` listing every problem.

    Slot pickers need their provider in `choices_providers` (name -> callable(task_data)). Building
    needs no app; instantiating does (Flask-WTF reads the app config).
    """
    providers = dict(choices_providers or {})
    spec, problems = _read(schema, ui_schema, frozenset(providers))
    if problems or spec is None:
        raise FormSchemaError(problems)
    attrs: dict[str, Any] = {field.name: make_field(field) for field in spec.fields}
    attrs.update(
        form_spec=spec,
        schema_title=authored(spec.title),
        schema_description=authored(spec.description),
        submit_label=authored(spec.submit_label),
        has_uploads=any(field.kind == "upload" for field in spec.fields),
        slot_providers=providers,
    )
    return type("BuiltSchemaForm", (SchemaForm,), attrs)


def form_data(form: SchemaForm) -> dict[str, Any]:
    """JSON-ready values by property name: ISO dates, int/float numbers, lists for multi-choices.

    An empty optional field is None (so re-submitting clears an old value); read-only fields and
    uploads are left out (see `form_files`).
    """
    return {
        field.name: field.to_json()
        for field in form.schema_fields()
        if not field.readonly and not isinstance(field, DocumentUploadField)
    }


def form_files(form: SchemaForm) -> dict[str, list[Upload]]:
    """The uploads that passed their checks, by property name; call after `form.validate()`."""
    return {field.name: list(field.checked) for field in form.schema_fields()
            if isinstance(field, DocumentUploadField)}
