"""The modeler's own texts are in the catalog: the list CarePath translates is exactly what the installed
bpmn-js passes to its `translate` service, and a Russian page's table has all of it in Russian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webui.studio.bpmnjs_texts import BPMN_JS_TEXTS, translations

BUNDLE = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "dist" / "bpmn-modeler.development.js"
LITERAL_CALL = re.compile(r"\b_?translate\s*\(\s*'([A-Za-z][^']*)'")  # not 'translate(' + shift + ...: an SVG transform
OPTION_LABEL = re.compile(r"\blabel: '([^']*)'")
ALIGNMENTS = re.compile(r"var ALIGNMENT_OPTIONS = \[([^\]]*)\]")
FEEDBACK = re.compile(r"var (?:COLLAB|DATA_OBJECT)_ERR_MSG = '([^']*)'")


def bundle_texts(source: str) -> set[str]:
    """What the bundle translates: literal calls, replace options, align directions, modeling feedback."""
    found = set(LITERAL_CALL.findall(source)) | set(OPTION_LABEL.findall(source)) | set(FEEDBACK.findall(source))
    found -= {"HELLO {you}", "Align elements "}  # a doc comment's example, the align menu's prefix
    directions = re.findall(r"'(\w+)'", ALIGNMENTS.search(source).group(1))
    found |= {f"Align elements {d}" for d in directions}
    # The collapsed pool's label is built by a function: the plain label plus this suffix when it has content.
    found.add("Empty pool/participant (removes content)")
    return found


def test_the_list_is_what_the_installed_bpmn_js_translates():
    if not BUNDLE.is_file():
        pytest.skip("bpmn-js is not installed (make install)")

    assert set(BPMN_JS_TEXTS) == bundle_texts(BUNDLE.read_text(encoding="utf-8"))


def test_a_russian_page_gets_every_modeler_text_in_russian(app):
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        table = translations()

    assert set(table) == set(BPMN_JS_TEXTS)
    assert table["Create task"] == "Создать задачу" and table["Open {element}"] == "Открыть {element}"


def test_an_english_page_needs_no_table(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert translations() == {}
