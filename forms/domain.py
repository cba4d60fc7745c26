"""The four domain widgets, chosen in a form file by `ui:widget`.

``slot-picker`` (``type: string``)
    A radio list of free time slots. The choices are not in the file: ``ui:options: {"provider":
    "doctor_slots"}`` names a callable the web layer passes to `build_form_class(choices_providers=...)`;
    it is called with the task data and returns ``[(value, label), ...]``. The list is asked again when
    the form is posted, so a slot taken in the meantime is refused with a clear message.
``document-upload`` (``type: string`` for one file, ``type: array, items: {type: string}`` for several;
    ``format: data-url`` is accepted as SpiffArena's modeler writes it)
    A file input. ``ui:options: {"accept": ["application/pdf", "image/jpeg", "image/png"], "maxSizeMb": 20,
    "maxFiles": 10}`` (those accept/size values are the defaults). The type is checked by the file's
    CONTENT (magic bytes, `filetype`), never by its name or the browser's claim; the size too. Files are
    not task data: `form_files(form)` hands the checked files to the web layer, which stores them.
``measurement`` (``type: number`` or ``integer``)
    A number with its unit, e.g. blood pressure: ``minimum``/``maximum`` are the valid range (both
    required), ``ui:options: {"unit": "mmHg", "step": 1}``. The range is shown and named in the error.
``intensity`` (``type: integer``)
    A slider 0..``maximum`` that starts at 0 = normal, so a patient only moves what differs (R-MON-15).
    ``ui:options: {"labels": ["Nothing bothers me", "", "", "Strong"]}`` labels positions from 0; an empty
    text leaves a position unlabelled; without a label 0 reads "Normal (nothing bothers me)".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import filetype
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import FileInput, RangeInput

from forms.fields import NumberField, RadioChoiceField, SchemaField

# filetype needs the first bytes only; 8 KiB covers its longest signatures (office documents).
HEAD_BYTES = 8192
MEGABYTE = 1024 * 1024
TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
SHOWN_NAME_LENGTH = 80


class SlotField(RadioChoiceField):
    kind = "slots"
    required_message = _l("Choose a time slot.")
    invalid_message = _l("This time slot is no longer available. Choose another one.")
    empty_message = _l("There are no free time slots right now. Please try again later.")

    def __init__(self, *args: Any, provider: str, **kwargs: Any) -> None:
        super().__init__(*args, options=[], **kwargs)
        self.provider = provider

    def set_slots(self, slots: list[tuple[Any, Any]]) -> None:
        # The property is a string, so ids (often ints) are stored as text, the same whatever the provider.
        self.set_options([(str(value), label) for value, label in slots])


class MeasurementField(NumberField):
    kind = "measurement"

    def __init__(self, *args: Any, unit: str, low: Any, high: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.hint = _l("From %(min)s to %(max)s %(unit)s.", min=low, max=high, unit=unit)
        self.render_kw = {"inputmode": "decimal", **(self.render_kw or {})}

    def describedby(self) -> str:
        return " ".join(filter(None, [f"{self.id}-unit", super().describedby()]))


class IntensityField(NumberField):
    kind = "intensity"
    widget = RangeInput()
    normal_label = _l("Normal (nothing bothers me)")

    def __init__(self, *args: Any, maximum: int, labels: list[str], **kwargs: Any) -> None:
        super().__init__(*args, integer=True, default=0, **kwargs)
        self.maximum = maximum
        self.labels = labels
        self.render_kw = {"step": 1, **(self.render_kw or {})}

    def scale(self) -> list[tuple[int, Any]]:
        """(value, label) of each labelled position; 0 always has one."""
        named: list[tuple[int, Any]] = [(i, text) for i, text in enumerate(self.labels) if text]
        if not self.labels or not self.labels[0]:
            named.insert(0, (0, self.normal_label))
        return named

    def value_text(self) -> str:
        """The label of the current value (for summaries); not put in aria-valuetext, which would go
        stale as soon as the slider moves without script. The scale list is read instead."""
        value = int(self.data) if self.data is not None else 0
        return str(dict(self.scale()).get(value, value))

    def describedby(self) -> str:
        return " ".join(filter(None, [f"{self.id}-scale", super().describedby()]))


@dataclass(frozen=True)
class Upload:
    """A file that passed the checks. `content_type` is what its bytes are, not what the browser said."""

    filename: str  # as the patient named it, for display only; never use it as a storage path
    content_type: str
    size: int
    storage: FileStorage


def type_name(mime: str) -> str:
    if mime in TYPE_NAMES:
        return TYPE_NAMES[mime]
    kind = filetype.get_type(mime=mime)
    return kind.extension.upper() if kind else mime


class DocumentUploadField(SchemaField, Field):
    kind = "upload"
    data: list[FileStorage]
    required_message = _l("Attach at least one file.")

    def __init__(self, *args: Any, accept: list[str], max_size_mb: float, max_files: int | None,
                 multiple: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accept, self.max_size_mb, self.max_files = list(accept), max_size_mb, max_files
        self.widget = FileInput(multiple=multiple)
        self.type_names = ", ".join(dict.fromkeys(type_name(m) for m in self.accept))
        self.hint = _l("Accepted: %(types)s; up to %(size)s MB per file.", types=self.type_names,
                       size=max_size_mb)
        # Extensions help the browser's file chooser; the content check is what decides.
        extensions = [f".{k.extension}" for m in self.accept if (k := filetype.get_type(mime=m))]
        self.render_kw = {"accept": ",".join(self.accept + extensions), **(self.render_kw or {})}
        self.checked: list[Upload] = []

    def process_data(self, value: Any) -> None:
        self.data = []

    def process_formdata(self, valuelist: list[Any]) -> None:
        # A browser sends an empty part with no filename when nothing was chosen.
        self.data = [f for f in valuelist if isinstance(f, FileStorage) and f.filename]

    def is_empty(self) -> bool:
        return not self.data

    def to_json(self) -> Any:
        raise TypeError("uploaded files are not task data; use forms.form_files()")

    def pre_validate(self, form: Any) -> None:
        self.checked = []
        if self.is_empty():
            return
        problems: list[Any] = []
        if self.max_files is not None and len(self.data) > self.max_files:
            problems.append(_l("Too many files: the maximum is %(max)s.", max=self.max_files))
        for storage in self.data:
            upload, problem = self._check(storage)
            if problem:
                problems.append(problem)
            else:
                self.checked.append(upload)
        if problems:
            self.checked = []
            self.errors.extend(problems)
            raise StopValidation()

    def _check(self, storage: FileStorage) -> tuple[Any, Any]:
        name = os.path.basename((storage.filename or "").replace("\\", "/"))[:SHOWN_NAME_LENGTH]
        stream = storage.stream
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        if size > self.max_size_mb * MEGABYTE:
            return None, _l("“%(name)s” is larger than %(size)s MB.", name=name, size=self.max_size_mb)
        detected = filetype.guess_mime(stream.read(HEAD_BYTES))
        stream.seek(0)
        if detected not in self.accept:
            return None, _l("“%(name)s” is not an accepted file type. Accepted: %(types)s.",
                            name=name, types=self.type_names)
        return Upload(filename=name, content_type=detected, size=size, storage=storage), None
