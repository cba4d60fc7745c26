"""The Russian pages are Russian however the platform was started: the .mo is built from the .po when stale."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from babel.messages.mofile import read_mo

from webui.catalogs import TRANSLATIONS, ensure_compiled


def test_missing_or_stale_catalog_is_compiled_and_fresh_one_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS / "ru", folder / "ru", ignore=shutil.ignore_patterns("*.mo"))
    mo = folder / "ru" / "LC_MESSAGES" / "messages.mo"

    assert ensure_compiled(folder) == [mo]
    with mo.open("rb") as handle:
        catalog = read_mo(handle)
    assert catalog.get("Log in to your cabinet").string == "Вход в личный кабинет"

    assert ensure_compiled(folder) == []  # up to date: not rewritten
    po = mo.with_suffix(".po")
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    assert ensure_compiled(folder) == [mo]
    assert not list(mo.parent.glob(".messages-*"))  # no temporary files left behind


def test_app_started_without_make_serves_russian(settings) -> None:
    from webui import create_app

    for mo in TRANSLATIONS.glob("*/LC_MESSAGES/*.mo"):
        mo.unlink()
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, settings=settings)
    page = app.test_client().get("/account/login", headers={"Accept-Language": "ru"})
    assert "Вход в личный кабинет" in page.get_data(as_text=True)
