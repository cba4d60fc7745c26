"""Messages and widget labels are msgids the web layer's catalog translates, in the reader's language."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import Babel

from forms import build_form_class, validate_json
from tests.forms.helpers import errors_of, make_app, render, submit

RUSSIAN = {
    "Enter a number from %(min)s to %(max)s.": "Введите число от %(min)s до %(max)s.",
    "Tick this box to continue.": "Поставьте отметку, чтобы продолжить.",
    "Normal (nothing bothers me)": "Норма (ничего не беспокоит)",
    "Choose…": "Выберите…",
}
SCHEMA = {"type": "object", "required": ["consent"], "properties": {
    "consent": {"type": "boolean", "title": "Согласие"},
    "age": {"type": "integer", "minimum": 18, "maximum": 120},
    "pain": {"type": "integer", "maximum": 10},
    "blood": {"type": "string", "enum": ["A", "B"]},
}}
UI = {"pain": {"ui:widget": "intensity"}}


def russian_app(tmp_path: Path):
    catalog = Catalog(locale="ru")
    for msgid, text in RUSSIAN.items():
        catalog.add(msgid, text)
    target = tmp_path / "ru" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path))
    app.extensions.pop("babel")
    Babel(app, locale_selector=lambda: "ru")
    return app


def test_messages_and_widget_labels_follow_the_catalog(tmp_path):
    app = russian_app(tmp_path)
    cls = build_form_class(SCHEMA, UI)  # built once, before any request: the texts are lazy
    with app.test_request_context("/"):
        form = submit(cls, {"age": "5"})
        assert errors_of(form, "age") == ["Введите число от 18 до 120."]
        assert errors_of(form, "consent") == ["Поставьте отметку, чтобы продолжить."]
        html = render(form)
        assert "Норма (ничего не беспокоит)" in html and "Выберите…" in html
        assert validate_json(SCHEMA, UI, {"consent": False})[1] == {"consent": ["Поставьте отметку, чтобы продолжить."]}


def test_without_a_translation_the_english_msgid_shows(app):
    with app.test_request_context("/"):
        assert errors_of(submit(build_form_class(SCHEMA, UI), {"age": "5"}), "age") == ["Enter a number from 18 to 120."]
