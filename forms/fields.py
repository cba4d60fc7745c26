"""WTForms fields for the schema subset: each parses its input, knows when it is empty, and gives JSON.

`cp_kind` is what the template dispatches on; `to_json()` is the value stored in task data.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation
from wtforms.widgets import (
    CheckboxInput,
    DateInput,
    DateTimeLocalInput,
    EmailInput,
    HiddenInput,
    ListWidget,
    NumberInput,
    TelInput,
    TextArea,
    TextInput,
)

from forms.keywords import choice_key

# Kinds whose inputs ignore `readonly` in browsers; they are disabled instead (the value is kept anyway).
DISABLE_WHEN_READONLY = frozenset({"select", "radio", "slots", "checkbox", "checkboxes", "intensity"})


# The mixin sits before a WTForms field in every class; type checkers need to see that field's API.
if TYPE_CHECKING:
    from wtforms import Field as _FieldBase
else:
    _FieldBase = object


class SchemaField(_FieldBase):
    """Mixin for every field built from a schema property."""

    kind: ClassVar[str] = "text"
    required_message: Any = _l("This field is required.")
    hint: Any = None  # extra line under the label: valid range, accepted file types

    def __init__(self, *args: Any, help_text: str | None = None, placeholder: str | None = None,
                 readonly: bool = False, hidden: bool = False, autofocus: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help_text = help_text
        self.readonly = readonly
        self.cp_kind = "hidden" if hidden else self.kind
        if hidden:
            self.widget = HiddenInput()
        # A hidden input needs none of the visible input's attributes (step, rows, placeholder).
        given: dict[str, Any] | None = getattr(self, "render_kw", None)
        extra: dict[str, Any] = {} if hidden else dict(given or {})
        if placeholder and not hidden:
            extra["placeholder"] = placeholder
        if readonly:
            extra["disabled" if self.kind in DISABLE_WHEN_READONLY else "readonly"] = True
        if autofocus and not hidden and not readonly:
            extra["autofocus"] = True
        self.render_kw = extra or None

    def is_empty(self) -> bool:
        if self.raw_data:
            return all(isinstance(v, str) and not v.strip() for v in self.raw_data)
        return self.data in (None, "", [])

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        # A read-only value is shown, never taken from the request, so there is nothing to check.
        if self.readonly:
            self.errors: list[Any] = []
            return True
        return super().validate(form, extra_validators)

    def to_json(self) -> Any:
        return None if self.is_empty() else self.data

    def describedby(self) -> str:
        """Ids of the texts that describe the input, in reading order, for aria-describedby."""
        parts = [("description", self.description), ("hint", self.hint), ("help", self.help_text),
                 ("error", self.errors)]
        return " ".join(f"{self.id}-{name}" for name, present in parts if present)

    def input_attrs(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {"aria-describedby": self.describedby() or False}
        if self.errors:
            attrs["aria-invalid"] = "true"
        return attrs


def option_key(value: Any) -> str | None:
    """WTForms' coerce for options: None (nothing chosen) must stay None, not become "None"."""
    return None if value is None else choice_key(value)


def strip_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class TextField(SchemaField, StringField):
    kind = "text"
    widget = TextInput()


class TextAreaField(SchemaField, StringField):
    kind = "textarea"
    widget = TextArea()


class EmailField(SchemaField, StringField):
    kind = "email"
    widget = EmailInput()


class TelField(SchemaField, StringField):
    kind = "tel"
    widget = TelInput()


class _IsoField(SchemaField, Field):
    """A date or date-time travelling as ISO 8601 text, which is what browsers' inputs send."""

    parse: ClassVar[Any]
    input_format: ClassVar[str]
    invalid_message: ClassVar[Any]

    def process_data(self, value: Any) -> None:
        if isinstance(value, str) and value:
            try:
                value = type(self).parse(value)
            except ValueError:
                value = None
        self.data = value or None

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        self.data = None
        if text:
            try:
                self.data = type(self).parse(text)
            except ValueError:
                raise ValueError(self.invalid_message) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.strftime(self.input_format) if self.data else ""


class DateField(_IsoField):
    kind = "date"
    widget = DateInput()
    parse = staticmethod(date.fromisoformat)
    input_format = "%Y-%m-%d"
    invalid_message = _l("Enter a real date, for example 2025-03-31.")

    def to_json(self) -> Any:
        return self.data.isoformat() if self.data else None


class DateTimeField(_IsoField):
    kind = "datetime"
    widget = DateTimeLocalInput()
    parse = staticmethod(datetime.fromisoformat)
    input_format = "%Y-%m-%dT%H:%M"
    invalid_message = _l("Enter a real date and time, for example 2025-03-31 14:30.")

    def to_json(self) -> Any:
        if not self.data:
            return None
        precise = self.data.second or self.data.microsecond
        return self.data.isoformat(timespec="auto" if precise else "minutes")


class NumberField(SchemaField, Field):
    """integer or number; a decimal comma is accepted because Russian keyboards type one."""

    kind = "number"
    widget = NumberInput()

    def __init__(self, *args: Any, integer: bool = False, **kwargs: Any) -> None:
        self.integer = integer
        super().__init__(*args, **kwargs)

    @property
    def invalid_message(self) -> Any:
        return _l("Enter a whole number.") if self.integer else _l("Enter a number, for example 36.6.")

    def _parse(self, value: Any) -> int | float:
        if isinstance(value, bool):
            raise ValueError(value)
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(value) from None
        if not number.is_finite() or (self.integer and number != number.to_integral_value()):
            raise ValueError(value)
        return int(number) if self.integer else float(number)

    def process_data(self, value: Any) -> None:
        try:
            self.data = None if value is None else self._parse(value)
        except ValueError:
            self.data = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return  # not sent at all: keep the default (a slider's "normal")
        text = str(valuelist[0]).strip()
        self.data = None
        if text:
            try:
                self.data = self._parse(text)
            except ValueError:
                raise ValueError(self.invalid_message) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return str(int(self.data)) if float(self.data).is_integer() else str(self.data)

    def to_json(self) -> Any:
        if self.data is None:
            return None
        # 120.0 stored as 120: task data reads like what the patient typed.
        return int(self.data) if self.integer or float(self.data).is_integer() else self.data


class CheckboxField(SchemaField, BooleanField):
    kind = "checkbox"
    required_message = _l("Tick this box to continue.")

    def is_empty(self) -> bool:
        return not self.data

    def to_json(self) -> bool:
        return bool(self.data)


class _Choices(SchemaField):
    """Options travel as `choice_key` strings; `to_json` turns them back into the schema's values."""

    invalid_message: Any = _l("Choose one of the listed options.")

    def set_options(self, options: list[tuple[Any, Any]], placeholder: Any = None) -> None:
        self.json_values = {choice_key(value): value for value, _ in options}
        listed = [SelectChoice(choice_key(value), label) for value, label in options]
        self.choices = ([SelectChoice("", placeholder)] if placeholder else []) + listed

    def pre_validate(self, form: Any) -> None:
        if self.process_errors or self.is_empty():
            return
        chosen = self.data if isinstance(self.data, list) else [self.data]
        if any(key not in self.json_values for key in chosen):
            raise StopValidation(self.invalid_message)

    def to_json(self) -> Any:
        return None if self.is_empty() else self.json_values.get(self.data)


class SelectChoiceField(_Choices, SelectField):
    kind = "select"
    required_message = _l("Choose an option.")

    def __init__(self, *args: Any, options: list[tuple[Any, Any]], **kwargs: Any) -> None:
        super().__init__(*args, coerce=option_key, **kwargs)
        self.set_options(options, placeholder=_l("Choose…"))


class RadioChoiceField(_Choices, RadioField):
    kind = "radio"
    required_message = _l("Choose an option.")

    def __init__(self, *args: Any, options: list[tuple[Any, Any]], **kwargs: Any) -> None:
        super().__init__(*args, coerce=option_key, **kwargs)
        self.set_options(options)


class MultiCheckboxField(_Choices, SelectMultipleField):
    kind = "checkboxes"
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
    required_message = _l("Choose at least one option.")

    def __init__(self, *args: Any, options: list[tuple[Any, Any]], **kwargs: Any) -> None:
        super().__init__(*args, coerce=option_key, **kwargs)
        self.set_options(options)

    def to_json(self) -> list[Any]:
        return [self.json_values[key] for key in self.data or [] if key in self.json_values]
