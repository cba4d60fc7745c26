"""The four domain widgets: slot picker, document upload, measurement, intensity."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from forms import build_form_class, form_data, form_files
from tests.forms.helpers import errors_of, render, submit

pytestmark = pytest.mark.usefixtures("ctx")


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(content: bytes, filename: str, content_type: str) -> FileStorage:
    return FileStorage(BytesIO(content), filename=filename, content_type=content_type)


# --- slot picker -----------------------------------------------------------------------------------

SLOT_SCHEMA = {"type": "object", "required": ["slot"],
               "properties": {"slot": {"type": "string", "title": "Время консультации"}}}
SLOT_UI = {"slot": {"ui:widget": "slot-picker", "ui:options": {"provider": "doctor_slots"}}}


def slots_for(task_data):
    # Like the web layer's provider: reads the task to know whose slots to offer.
    assert task_data["doctor_id"] == 7
    return [(101, "31.03.2025 10:00"), (102, "31.03.2025 10:30")]


def test_the_slot_picker_offers_the_providers_slots_as_radios():
    cls = build_form_class(SLOT_SCHEMA, SLOT_UI, choices_providers={"doctor_slots": slots_for})
    html = render(cls(task_data={"doctor_id": 7}))
    assert '<fieldset class="cp-field cp-group cp-field-slots"' in html
    assert 'type="radio"' in html and 'value="101"' in html and "31.03.2025 10:30" in html


def test_a_chosen_slot_is_stored_as_its_value():
    cls = build_form_class(SLOT_SCHEMA, SLOT_UI, choices_providers={"doctor_slots": slots_for})
    form = submit(cls, {"slot": "102"}, task_data={"doctor_id": 7})
    assert form.errors == {} and form_data(form) == {"slot": "102"}


def test_a_slot_taken_meanwhile_is_refused():
    cls = build_form_class(SLOT_SCHEMA, SLOT_UI, choices_providers={"doctor_slots": slots_for})
    form = submit(cls, {"slot": "100"}, task_data={"doctor_id": 7})
    assert errors_of(form, "slot") == ["This time slot is no longer available. Choose another one."]
    assert errors_of(submit(cls, {}, task_data={"doctor_id": 7}), "slot") == ["Choose a time slot."]


def test_no_free_slots_says_so():
    cls = build_form_class(SLOT_SCHEMA, SLOT_UI, choices_providers={"doctor_slots": lambda data: []})
    assert "There are no free time slots right now." in render(cls())


def test_a_slot_picker_without_its_provider_is_refused_at_build():
    from forms import FormSchemaError

    with pytest.raises(FormSchemaError) as caught:
        build_form_class(SLOT_SCHEMA, SLOT_UI, choices_providers={})
    assert (caught.value.field, caught.value.keyword) == ("slot", "ui:options.provider")


# --- document upload -------------------------------------------------------------------------------

DOCS_SCHEMA = {"type": "object", "required": ["documents"], "properties": {
    "documents": {"type": "array", "title": "Медицинские документы", "items": {"type": "string", "format": "data-url"}},
}}


def docs_ui(**options) -> dict:
    return {"documents": {"ui:widget": "document-upload", "ui:options": options}}


def post_files(cls, *files):
    return submit(cls, MultiDict([("documents", f) for f in files]))


def test_allowed_files_pass_and_are_handed_over_with_their_detected_type():
    cls = build_form_class(DOCS_SCHEMA, docs_ui())
    form = post_files(cls, upload(PDF, "выписка.pdf", "application/pdf"), upload(png_bytes(), "scan.png", "image/png"))
    assert form.errors == {}
    files = form_files(form)["documents"]
    assert [(f.filename, f.content_type) for f in files] == [("выписка.pdf", "application/pdf"), ("scan.png", "image/png")]
    assert files[1].size == len(png_bytes())
    assert form_data(form) == {}  # files are stored by the web layer, not put in task data


def test_a_png_renamed_pdf_is_refused_by_its_content():
    cls = build_form_class(DOCS_SCHEMA, docs_ui(accept=["application/pdf"]))
    form = post_files(cls, upload(png_bytes(), "conclusion.pdf", "application/pdf"))
    assert errors_of(form, "documents") == ["“conclusion.pdf” is not an accepted file type. Accepted: PDF."]
    assert form_files(form) == {"documents": []}


def test_a_file_too_large_is_refused_with_the_limit():
    cls = build_form_class(DOCS_SCHEMA, docs_ui(maxSizeMb=1))
    big = PDF + b"0" * (1024 * 1024)
    form = post_files(cls, upload(big, "mri.pdf", "application/pdf"))
    assert errors_of(form, "documents") == ["“mri.pdf” is larger than 1 MB."]


def test_every_bad_file_gets_its_own_message():
    cls = build_form_class(DOCS_SCHEMA, docs_ui(maxFiles=1))
    form = post_files(cls, upload(b"MZ\x90\x00", "a.exe", "application/pdf"), upload(b"plain", "b.txt", "text/plain"))
    assert errors_of(form, "documents") == [
        "Too many files: the maximum is 1.",
        "“a.exe” is not an accepted file type. Accepted: PDF, JPEG, PNG.",
        "“b.txt” is not an accepted file type. Accepted: PDF, JPEG, PNG.",
    ]


def test_a_required_upload_needs_a_file_and_ignores_the_empty_part_browsers_send():
    cls = build_form_class(DOCS_SCHEMA, docs_ui())
    form = post_files(cls, upload(b"", "", "application/octet-stream"))
    assert errors_of(form, "documents") == ["Attach at least one file."]


def test_the_upload_input_is_multiple_with_accept_and_the_form_is_multipart():
    cls = build_form_class(DOCS_SCHEMA, docs_ui())
    html = render(cls())
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and " multiple" in html
    assert 'accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.png"' in html
    assert "Accepted: PDF, JPEG, PNG; up to 20 MB per file." in html


def test_a_string_upload_takes_one_file():
    schema = {"type": "object", "properties": {"scan": {"type": "string", "format": "data-url"}}}
    cls = build_form_class(schema)
    assert cls().scan.cp_kind == "upload"
    assert " multiple" not in str(cls().scan())
    form = submit(cls, MultiDict([("scan", upload(PDF, "a.pdf", "application/pdf")),
                                  ("scan", upload(PDF, "b.pdf", "application/pdf"))]))
    assert errors_of(form, "scan") == ["Too many files: the maximum is 1."]


def test_uploads_through_a_real_multipart_post(app):
    cls = build_form_class(DOCS_SCHEMA, docs_ui(accept=["application/pdf"]))

    @app.post("/upload")
    def receive():
        form = cls()
        if form.validate_on_submit():
            return {"files": [f.content_type for f in form_files(form)["documents"]]}
        return {"errors": {k: [str(m) for m in v] for k, v in form.errors.items()}}, 400

    client = app.test_client()
    good = client.post("/upload", data={"documents": [(BytesIO(PDF), "a.pdf")]}, content_type="multipart/form-data")
    assert good.json == {"files": ["application/pdf"]}
    bad = client.post("/upload", data={"documents": [(BytesIO(png_bytes()), "a.pdf", "application/pdf")]},
                      content_type="multipart/form-data")
    assert bad.status_code == 400
    assert bad.json == {"errors": {"documents": ["“a.pdf” is not an accepted file type. Accepted: PDF."]}}


# --- measurement -----------------------------------------------------------------------------------

PRESSURE = {"type": "object", "required": ["systolic"], "properties": {
    "systolic": {"type": "integer", "title": "Систолическое давление", "minimum": 60, "maximum": 250},
}}
PRESSURE_UI = {"systolic": {"ui:widget": "measurement", "ui:options": {"unit": "mmHg"}}}


def test_a_measurement_renders_a_number_input_with_its_unit_and_range():
    form = build_form_class(PRESSURE, PRESSURE_UI)()
    html = render(form)
    assert 'type="number"' in html and 'min="60"' in html and 'max="250"' in html
    assert '<span class="cp-unit" id="systolic-unit">mmHg</span>' in html
    assert 'aria-describedby="systolic-unit systolic-hint"' in html
    assert "From 60 to 250 mmHg." in html


def test_a_measurement_out_of_range_names_the_range_and_unit():
    cls = build_form_class(PRESSURE, PRESSURE_UI)
    assert errors_of(submit(cls, {"systolic": "300"}), "systolic") == ["Enter a value from 60 to 250 mmHg."]
    assert form_data(submit(cls, {"systolic": "120"})) == {"systolic": 120}


def test_a_decimal_measurement():
    schema = {"type": "object", "properties": {"t": {"type": "number", "minimum": 34, "maximum": 43}}}
    cls = build_form_class(schema, {"t": {"ui:widget": "measurement", "ui:options": {"unit": "°C", "step": 0.1}}})
    assert form_data(submit(cls, {"t": "36,6"})) == {"t": 36.6}
    assert 'step="0.1"' in str(cls().t())
    assert errors_of(submit(cls, {"t": "33.9"}), "t") == ["Enter a value from 34 to 43 °C."]


def test_a_measurement_needs_its_unit_and_range():
    from forms import check_schema

    schema = {"type": "object", "properties": {"w": {"type": "number"}}}
    problems = check_schema(schema, {"w": {"ui:widget": "measurement"}})
    assert any('keyword "ui:options.unit"' in p for p in problems)
    assert any('keyword "minimum"' in p for p in problems) and any('keyword "maximum"' in p for p in problems)


# --- intensity -------------------------------------------------------------------------------------

PAIN = {"type": "object", "properties": {"pain": {"type": "integer", "title": "Боль", "maximum": 10}}}


def test_an_intensity_slider_starts_at_normal():
    form = build_form_class(PAIN, {"pain": {"ui:widget": "intensity"}})()
    html = render(form)
    assert 'type="range"' in html and 'min="0"' in html and 'max="10"' in html and 'value="0"' in html
    assert 'aria-describedby="pain-scale"' in html
    assert '<li value="0"><span class="cp-scale-value">0</span> — Normal (nothing bothers me)</li>' in html
    assert form_data(form) == {"pain": 0}


def test_intensity_labels_come_from_the_form_file():
    ui = {"pain": {"ui:widget": "intensity", "ui:options": {"labels": ["Ничего не беспокоит", "", "", "", "",
                                                                       "Умеренная", "", "", "", "", "Нестерпимая"]}}}
    cls = build_form_class(PAIN, ui)
    html = render(cls())
    assert "Ничего не беспокоит" in html and "Нестерпимая" in html and "Normal" not in html
    form = submit(cls, {"pain": "5"})
    assert form_data(form) == {"pain": 5} and form.pain.value_text() == "Умеренная"


def test_an_intensity_outside_the_scale_is_refused():
    cls = build_form_class(PAIN, {"pain": {"ui:widget": "intensity"}})
    assert errors_of(submit(cls, {"pain": "11"}), "pain") == ["Enter a number from 0 to 10."]
    assert errors_of(submit(cls, {"pain": "-1"}), "pain") == ["Enter a number from 0 to 10."]


def test_an_intensity_must_start_at_zero():
    from forms import check_schema

    schema = {"type": "object", "properties": {"pain": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}}}
    problems = check_schema(schema, {"pain": {"ui:widget": "intensity"}})
    assert any('keyword "minimum"' in p for p in problems) and any('keyword "default"' in p for p in problems)
