"""Compiled message catalogs (.mo) for the web app, built from the committed .po files when missing or stale.

The .mo files are build products and not committed; `make test` compiles them with pybabel, but a
platform started any other way (`make run`, `carepath run`, gunicorn under a service manager) would
otherwise show every page in English to a Russian speaker. Several web processes may start at once,
so each writes its copy to a private temporary file and renames it into place (atomic on POSIX).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parent / "translations"


def ensure_compiled(folder: Path = TRANSLATIONS) -> list[Path]:
    """Compile every `<lang>/LC_MESSAGES/*.po` whose .mo is missing or older; returns the .mo files written."""
    written = []
    for po_path in sorted(folder.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        handle, temporary = tempfile.mkstemp(dir=po_path.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(handle, "wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(temporary, mo_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written
