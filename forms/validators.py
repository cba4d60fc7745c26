"""Validators for schema keywords, each with a message a patient can act on.

Messages are English msgids through `lazy_gettext`, formatted after translation (`%(min)s`), so the
web layer's catalog translates them in the reader's language and the translator sees one stable string.
Counts stand after a colon ("the maximum is 5") so no plural form is needed: Russian has three, and
one msgid then serves every number.
Every validator except `Required` lets an empty value pass: emptiness is `Required`'s business.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.validators import StopValidation, ValidationError

# A phone number as people type it: +, digits, spaces, dashes, dots, brackets; 5 to 15 digits (E.164).
PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]+$")
PHONE_DIGITS = (5, 15)


def show_number(value: int | float | Decimal) -> str:
    """60.0 -> "60", 36.6 -> "36.6": the range in a message reads like the schema author wrote it."""
    if isinstance(value, float | Decimal) and value == int(value):
        return str(int(value))
    return str(value)


def _empty(field: Field) -> bool:
    return field.is_empty() if hasattr(field, "is_empty") else not field.data


class Required:
    """The value must be given; for a boolean, ticked (consent). The message comes from the field."""

    field_flags = {"required": True}

    def __call__(self, form: Form, field: Field) -> None:
        if _empty(field):
            field.errors[:] = []  # "required" says it all; a parse error of an empty value would not help
            raise StopValidation(field.required_message)


class AnswerCheck:
    """``ui:options.check``: the platform's check of an answer against what only the server knows (e.g.
    "I have uploaded my documents" with none uploaded). The named check is one of the form's providers,
    called with the task data and the answer; it returns the message to show, or None when all is well."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, form: Form, field: Field) -> None:
        check = getattr(form, "slot_providers", {}).get(self.name)
        problem = check(getattr(form, "_task_data", {}), field.to_json()) if check is not None else None
        if problem:
            raise ValidationError(problem)


class SkipIfEmpty:
    """An optional field left empty is valid whatever its other keywords say."""

    field_flags = {"optional": True}

    def __call__(self, form: Form, field: Field) -> None:
        if _empty(field) and not field.process_errors:
            field.errors[:] = []
            raise StopValidation()


class Length:
    def __init__(self, minimum: int | None, maximum: int | None) -> None:
        self.minimum, self.maximum = minimum, maximum
        self.field_flags: dict[str, Any] = {}
        if minimum is not None:
            self.field_flags["minlength"] = minimum
        if maximum is not None:
            self.field_flags["maxlength"] = maximum

    def __call__(self, form: Form, field: Field) -> None:
        size = len(field.data or "")
        if self.minimum is not None and size < self.minimum:
            raise ValidationError(_l("Too short: the minimum number of characters is %(min)s.", min=self.minimum))
        if self.maximum is not None and size > self.maximum:
            raise ValidationError(_l("Too long: the maximum number of characters is %(max)s.", max=self.maximum))


class Pattern:
    """JSON Schema `pattern`: a regular expression found anywhere in the value (not anchored)."""

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern)

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and not self.regex.search(field.data):
            raise ValidationError(_l("This value is not in the expected format."))


class Email:
    def __call__(self, form: Form, field: Field) -> None:
        if not field.data:
            return
        try:
            # No DNS lookups: a form must not wait on the network, and deliverability is checked by mail.
            validate_email(field.data, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(_l("Enter an email address like name@example.com.")) from None


class Phone:
    def __call__(self, form: Form, field: Field) -> None:
        if not field.data:
            return
        digits = sum(c.isdigit() for c in field.data)
        if not PHONE_CHARS.match(field.data) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            raise ValidationError(_l("Enter a phone number, e.g. +7 912 345-67-89."))


class NumberRange:
    """minimum/maximum and their exclusive forms; one message naming the whole range when both exist."""

    def __init__(self, schema: dict[str, Any], unit: str | None = None) -> None:
        self.low, self.low_open = self._bound(schema, "minimum", "exclusiveMinimum", max)
        self.high, self.high_open = self._bound(schema, "maximum", "exclusiveMaximum", min)
        self.unit = unit
        self.field_flags: dict[str, Any] = {}
        # Browsers only know inclusive bounds, so only those become HTML attributes.
        if self.low is not None and not self.low_open:
            self.field_flags["min"] = show_number(self.low)
        if self.high is not None and not self.high_open:
            self.field_flags["max"] = show_number(self.high)

    @staticmethod
    def _bound(schema: dict[str, Any], inclusive: str, exclusive: str, tighter: Any) -> tuple[Any, bool]:
        """The effective bound; when both keywords are given, the tighter wins."""
        values = [(schema[k], k == exclusive) for k in (inclusive, exclusive) if k in schema]
        if not values:
            return None, False
        if len(values) == 2 and values[0][0] == values[1][0]:
            return values[0][0], True
        return tighter(values, key=lambda v: v[0])

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if value is None:
            return
        too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if too_low or too_high:
            raise ValidationError(self.message())

    def message(self) -> Any:
        low = show_number(self.low) if self.low is not None else None
        high = show_number(self.high) if self.high is not None else None
        if self.unit and low is not None and high is not None:
            return _l("Enter a value from %(min)s to %(max)s %(unit)s.", min=low, max=high, unit=self.unit)
        if low is not None and high is not None and not (self.low_open or self.high_open):
            return _l("Enter a number from %(min)s to %(max)s.", min=low, max=high)
        if low is not None and high is not None:
            return _l("Enter a number greater than %(min)s and less than %(max)s.", min=low, max=high)
        if low is not None:
            if self.low_open:
                return _l("Enter a number greater than %(min)s.", min=low)
            return _l("Enter a number of at least %(min)s.", min=low)
        if self.high_open:
            return _l("Enter a number less than %(max)s.", max=high)
        return _l("Enter a number no greater than %(max)s.", max=high)


class MultipleOf:
    def __init__(self, step: int | float) -> None:
        # Decimal of the written form: 0.3 is a multiple of 0.1 although 0.3 % 0.1 != 0 in floats.
        self.step = Decimal(str(step))
        self.field_flags = {"step": show_number(step)}

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and Decimal(str(field.data)) % self.step != 0:
            raise ValidationError(_l("Enter a multiple of %(step)s.", step=show_number(self.step)))


class ItemCount:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.minimum, self.maximum = schema.get("minItems"), schema.get("maxItems")
        self.unique = schema.get("uniqueItems", False)

    def __call__(self, form: Form, field: Field) -> None:
        chosen = field.data or []
        if self.unique and len(set(chosen)) != len(chosen):
            raise ValidationError(_l("Choose each option only once."))
        if self.minimum is not None and len(chosen) < self.minimum:
            raise ValidationError(_l("Choose more options: the minimum is %(min)s.", min=self.minimum))
        if self.maximum is not None and len(chosen) > self.maximum:
            raise ValidationError(_l("Choose fewer options: the maximum is %(max)s.", max=self.maximum))
