"""Texts that used to reach a reader in English or in a machine's words: a message's parameters (an item's
title), units, file kinds and sizes, bpmnlint's findings (an instance diagram's labels: test_diagram_names.py)."""

from __future__ import annotations

import pytest
from flask import render_template_string

from engine.i18n import N_, UserError
from webui.messages import user_message
from webui.studio.lint_texts import LINT_RULES, lint_text


@pytest.fixture
def russian(app):
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        yield app


def test_an_item_title_inside_a_message_is_translated_with_it(russian):
    error = UserError(N_("%(title)s: enter a number."), title="Blood pressure")

    assert user_message(error) == "Артериальное давление: введите число."


def test_a_name_that_is_not_a_msgid_stays_as_written(russian):
    error = UserError(N_("There is no account with the address %(email)s."), email="Иванова@example.org")

    assert "Иванова@example.org" in user_message(error)


def test_units_file_kinds_and_sizes_read_in_russian(russian):
    page = render_template_string(
        "{{ 'mmHg'|authored }} | {{ '%'|authored }} | {{ 'application/pdf'|filekind }} | {{ 1234567|filesize }} | "
        "{{ 340|filesize }} | {{ 'text/plain'|filekind }}")

    assert page == "мм рт. ст. | % | документ PDF | 1,2 МБ | 1 кБ | Файл"
    assert render_template_string("{{ 36.6|number }} {{ 120.0|number }}") == "36,6 120"


def test_file_sizes_follow_the_english_reader_too(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("{{ 1234567|filesize }}, {{ 'image/png'|filekind }}") == "1.2 MB, PNG image"


def test_a_lint_finding_is_said_in_the_readers_language_with_its_rule(russian):
    assert lint_text("label-required", "Element is missing label/name") == (
        "У элемента должно быть название. (label-required)")
    assert lint_text("a-plugin-rule", "Something odd") == "Something odd (a-plugin-rule)"
    assert len(LINT_RULES) >= 26  # every rule of bpmnlint's recommended set

