"""Measured values written the reader's way: «71,6» in Russian, "71.6" in English.

Values in task data, alerts and mail contexts are stored as text ("71.6", "168/96") so that every reader
may see them in their own language later; each layer formats the numbers in such a text with Babel's
`format_decimal` in the reader's locale (the web layer through Flask-Babel, mails with the recipient's
locale). The pattern keeps up to three decimals and drops trailing zeros, as the questionnaire's "%g" did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

PATTERN = "#,##0.###"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Only a text that is numbers alone or between slashes ("168/96") is reformatted; a date, a version or a
# sentence is left as it is.
_AMOUNT = re.compile(r"\s*-?\d+(?:\.\d+)?(?:\s*/\s*-?\d+(?:\.\d+)?)*\s*")


def localized_numbers(value: Any, format_decimal: Callable[[Decimal], str]) -> str:
    """`value` (a number, or a text with numbers such as "168/96") with each number formatted by
    `format_decimal`; None and "" give ""; other text comes back unchanged."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, int | float | Decimal):
        return format_decimal(_decimal(str(value)))
    text = str(value)
    if not _AMOUNT.fullmatch(text):
        return text
    return _NUMBER.sub(lambda match: format_decimal(_decimal(match.group(0))), text)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # "nan", "inf" from a float: nothing a measurement holds
        return Decimal(0)
