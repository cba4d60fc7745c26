"""The doctor's review of an application names the patient's age with its unit, in the reader's plural:
«Смирнова Анна Петровна, 41 год: G43.0 …», not «…, 41: …»."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from forms import render_instructions
from tests.webui.conftest import app, settings  # noqa: F401

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "consultation_application"


def _review_instructions() -> str:
    text = (BPMN / "consultation_application.bpmn").read_text(encoding="utf-8")
    [template] = re.findall(r'value="review\.json" />.*?instructionsForEndUser" value="([^"]*)"', text)
    return html.unescape(template)


@pytest.mark.parametrize(("age", "words"), [(41, "41 год"), (42, "42 года"), (45, "45 лет")])
def test_the_review_names_the_age_with_its_russian_plural(app, age, words):  # noqa: F811
    data = {"application": {"full_name": "Смирнова Анна Петровна", "age": age, "diagnosis_code": "G43.0",
                            "diagnosis_text": "Мигрень без ауры", "complaints": "Головные боли"},
            "consultation_id": 7, "opened": {"documents": []}}
    with app.test_request_context("/"), force_locale("ru"):
        text = str(render_instructions(_review_instructions(), data))
    assert f"<strong>Смирнова Анна Петровна, {words}: G43.0 Мигрень без ауры</strong>" in text
