"""The error a form file raises when it uses something `forms/` cannot render or check.

A problem is kept as an English msgid (N_) and its parameters, not as text: the studio shows it in the
analyst's language, `carepath deploy` in the terminal's (see engine.i18n.render_message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.i18n import N_, nested_message, render_message

# Where in the file: a field and a keyword, one of them, or neither.
AT_FIELD_KEYWORD = N_('field "%(field)s", keyword "%(keyword)s": %(reason)s')
AT_FIELD = N_('field "%(field)s": %(reason)s')
AT_KEYWORD = N_('form, keyword "%(keyword)s": %(reason)s')
AT_FORM = N_("form: %(reason)s")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form file, precise enough for an analyst to find and fix it."""

    field: str | None  # property name; None for the form as a whole
    keyword: str | None  # schema or uiSchema keyword at fault
    message: str  # English msgid (N_)
    params: dict[str, Any] = field(default_factory=dict)

    def coded(self) -> dict[str, object]:
        """The whole sentence, where and why, as a message with a nested reason (engine.i18n)."""
        where = {"field": self.field, "keyword": self.keyword}
        located = (AT_FIELD_KEYWORD if self.field and self.keyword else AT_FIELD if self.field
                   else AT_KEYWORD if self.keyword else AT_FORM)
        params = {k: v for k, v in where.items() if v}
        return nested_message(located, {**params, "reason": nested_message(self.message, self.params)})

    def text(self, translate: Callable[[str], str] | None = None) -> str:
        coded = self.coded()
        return render_message(str(coded["msgid"]), coded["params"], translate)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.text()


class FormSchemaError(ValueError):
    """The form file cannot be turned into a form; raised at build time, so a bad file fails at deploy.

    `problems` lists everything found (not just the first), `field` and `keyword` name the first one.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
        self.field = problems[0].field if problems else None
        self.keyword = problems[0].keyword if problems else None
