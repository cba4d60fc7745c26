"""What every page needs of the information pages: the menu entries in the reader's language, and
`info_link(slug)` so a page links to "how to book" or "contacts" only when that page exists."""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask_babel import get_locale
from sqlalchemy.exc import SQLAlchemyError

from engine.infopages import service
from engine.infopages.models import InfoPageVersion
from webui.db import db


def title(version: InfoPageVersion) -> str:
    return version.title_en if str(get_locale() or "ru") == "en" else version.title_ru


def info_menu() -> list[tuple[str, str, str]]:
    """(slug, title, url) of the menu pages; read once per request, only when a template asks."""
    if "info_menu" not in g:
        try:
            g.info_menu = [(page.slug, title(version), url_for("infopages.show", slug=page.slug))
                           for page, version in service.menu(db())]
        except SQLAlchemyError:  # an error page about the database must still render, without these links
            g.info_menu = []
    return g.info_menu


def template_helpers() -> dict[str, Any]:
    def info_link(slug: str) -> str:
        return next((url for s, _t, url in info_menu() if s == slug), "")

    return {"info_menu": info_menu, "info_link": info_link}
