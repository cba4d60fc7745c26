"""Nested objects and repeating sections (rjsf's object fields and arrays of objects or plain values).

A group is a fieldset of fields stored as one object in task data; a repeating section is a list of
entries (each a group, or one plain field) stored as a list. Entries left entirely empty are dropped,
so the one blank entry a section always shows never fails a required field; "Add another" (a submit
button named ADD_ENTRY) asks the page for one more entry without completing the task.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import FieldList, Form, FormField

from forms.fields import SchemaField

ADD_ENTRY = "cp_add_entry"  # the name of the "Add another" button; its value is the section's name


class SectionForm(Form):
    """The fields of a group or of one entry of a repeating section."""

    def schema_fields(self) -> list[SchemaField]:
        return [f for f in self if isinstance(f, SchemaField)]


def _entry_empty(entry: Any) -> bool:
    if isinstance(entry, FormField):
        return all(f.is_empty() for f in entry.form.schema_fields())
    return entry.is_empty()


def _entry_json(entry: Any) -> Any:
    if isinstance(entry, FormField):
        return {f.short_name: f.to_json() for f in entry.form.schema_fields() if not f.readonly}
    return entry.to_json()


class GroupField(SchemaField, FormField):
    kind = "group"

    def is_empty(self) -> bool:
        return _entry_empty(self)

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        if self.readonly:
            self.errors = []
            return True
        return FormField.validate(self, form, extra_validators)

    def to_json(self) -> Any:
        return _entry_json(self)

    @property
    def errors(self) -> Any:  # the group's own errors are its fields'; the summary lists those
        return []

    @errors.setter
    def errors(self, value: Any) -> None:
        pass


class RepeatField(SchemaField, FieldList):
    kind = "repeat"
    add_label = _l("Add another")

    def __init__(self, *args: Any, min_items: int = 0, max_items: int | None = None, **kwargs: Any) -> None:
        self.min_items, self.max_items = min_items, max_items
        super().__init__(*args, min_entries=1, **kwargs)

    @property
    def object_entries(self) -> bool:
        return bool(self.entries) and isinstance(self.entries[0], FormField)

    def is_empty(self) -> bool:
        return all(_entry_empty(e) for e in self.entries)

    def filled(self) -> list[Any]:
        return [e for e in self.entries if not _entry_empty(e)]

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        self.errors = []
        if self.readonly:
            return True
        ok = all([entry.validate(form) for entry in self.filled()])
        count = len(self.filled())
        low = max(self.min_items, 1 if self.flags.required else 0)
        if count < low:
            self.errors.append(ngettext("Fill in at least %(num)d entry.", "Fill in at least %(num)d entries.", low))
        if self.max_items is not None and count > self.max_items:
            self.errors.append(ngettext("Fill in at most %(num)d entry.", "Fill in at most %(num)d entries.",
                                        self.max_items))
        return ok and not self.errors

    def to_json(self) -> Any:
        return [_entry_json(e) for e in self.filled()]
