"""Helpers for the forms tests: a minimal Flask app, the form files under data/, posting and rendering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask, render_template_string
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

import forms

DATA = Path(__file__).parent / "data"


def make_app(**config: Any) -> Flask:
    """Flask + Babel + the forms blueprint; CSRF off unless the test turns it on."""
    app = Flask(__name__)
    app.config.update({"SECRET_KEY": "test", "TESTING": True, "WTF_CSRF_ENABLED": False, **config})
    Babel(app)
    app.register_blueprint(forms.blueprint)
    return app


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def render(form: Any) -> str:
    return render_template_string('{% import "forms/render.html" as f %}{{ f.render_form(form) }}', form=form)


def submit(form_class: Any, pairs: Any = (), **kwargs: Any) -> Any:
    """The form as a browser post of `pairs` (dict or list of (name, value)) would fill it, validated."""
    form = form_class(formdata=MultiDict(pairs), **kwargs)
    form.validate()
    return form


def errors_of(form: Any, name: str) -> list[str]:
    return [str(message) for message in form[name].errors]
