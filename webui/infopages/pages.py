"""An information page in the reader's language (the other language's text if this one is empty)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from engine.infopages import render, service
from webui.db import db
from webui.infopages.blueprint import bp
from webui.infopages.shared import info_menu, title


@bp.route("/<slug>")
def show(slug: str) -> Any:
    page, version = service.by_slug(db(), slug)
    body = version.body_en if str(get_locale() or "ru") == "en" else version.body_ru
    return render_template("infopages/page.html", page=page, version=version, title=title(version),
                           body=Markup(render.to_html(body)))


@bp.route("/")
def index() -> Any:
    """The menu's pages in one list (an address people type or reach by trimming a page's address)."""
    return render_template("infopages/index.html", pages=info_menu())
