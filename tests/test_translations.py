"""The catalog stays complete: every msgid the code, templates and pathways have (freshly extracted with
babel.cfg and its form/BPMN extractors) has a Russian translation, with the same placeholders, and both
catalogs compile.

When one fails after you added or changed a string: run `make translations`, then write the Russian for
the msgids listed in the failure into webui/translations/ru/LC_MESSAGES/messages.po (see README,
"Translations")."""

from __future__ import annotations

import io

import pytest
from babel.messages.mofile import write_mo

from tools.translations import (
    RU_CATALOG,
    TRANSLATIONS,
    fresh_template,
    placeholder_problems,
    read_catalog,
    untranslated,
)


@pytest.fixture(scope="module")
def template():
    return fresh_template()


@pytest.fixture(scope="module")
def russian():
    return read_catalog(RU_CATALOG, locale="ru")


def test_every_extracted_msgid_has_a_russian_translation(template, russian):
    missing = untranslated(template, russian)

    assert len(template) > 1000  # the extraction really ran (code, templates, pathway forms and BPMN)
    assert not missing, (
        f"{len(missing)} msgid(s) have no Russian translation (or a fuzzy/empty one). Run `make translations`, "
        "then translate these in webui/translations/ru/LC_MESSAGES/messages.po:\n"
        + "\n".join(f"  msgid {msgid!r}" for msgid in missing)
    )


def test_pathway_texts_are_part_of_the_extracted_catalog(template):
    ids = {m.id for m in template}

    assert "Enter the confirmation code" in ids  # a user task's name (ticket_booking.bpmn)
    assert "Did the consultation take place?" in ids  # a form field's title (consultation_session/forms)
    assert "Appointment ticket booking" in ids  # a pathway's title (model.json)
    assert "Several values beyond your thresholds" in ids  # an alert reason of the DMN table
    assert any(isinstance(i, str) and i.startswith("Enter the code we sent you") for i in ids)  # instructions


def test_every_translation_keeps_the_placeholders_of_its_msgid(russian):
    problems = placeholder_problems(russian)

    assert not problems, "Translations whose %(name)s placeholders or {{ ... }} differ from the msgid:\n" + "\n".join(
        problems)


def test_russian_plurals_have_all_three_forms(russian):
    assert russian.num_plurals == 3
    incomplete = [m.id[0] for m in russian if m.pluralizable and m.string and len([s for s in m.string if s]) != 3]

    assert not incomplete, f"plural msgids without their three Russian forms: {incomplete}"


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_catalog_compiles_without_errors(locale):
    catalog = read_catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale=locale)
    errors = [f"{message.id!r}: {error}" for message, found in catalog.check() for error in found]
    compiled = io.BytesIO()

    write_mo(compiled, catalog)

    assert errors == [] and compiled.getbuffer().nbytes > 0
