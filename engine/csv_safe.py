"""CSV that is safe to open in a spreadsheet: every CSV the platform writes goes through here.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some spreadsheets skip
before looking for those) is read as a formula by Excel and LibreOffice, so a patient's name such as
`=HYPERLINK("http://evil","click")` in a report would become a live link or worse (CSV injection). Such
cells get a leading apostrophe, which spreadsheets show as plain text and do not display.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> str:
    """The cell as text, neutralised when a spreadsheet would evaluate it. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # a negative number is data, not a formula
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unescape_cell(text: str) -> str:
    """A cell of one of our own files sent back: the apostrophe escape_cell added comes off again."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def write_rows(rows: Iterable[Sequence[Any]], *, delimiter: str = ",", bom: bool = True) -> str:
    """A whole CSV document. The BOM makes Excel read UTF-8 (Cyrillic) correctly when double-clicked."""
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([escape_cell(value) for value in row])
    return buffer.getvalue()
