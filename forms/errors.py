"""The error a form file raises when it uses something `forms/` cannot render or check."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form file, precise enough for an analyst to find and fix it."""

    field: str | None  # property name; None for the form as a whole
    keyword: str | None  # schema or uiSchema keyword at fault
    message: str

    def __str__(self) -> str:
        where = f'field "{self.field}"' if self.field else "form"
        if self.keyword:
            where += f', keyword "{self.keyword}"'
        return f"{where}: {self.message}"


class FormSchemaError(ValueError):
    """The form file cannot be turned into a form; raised at build time, so a bad file fails at deploy.

    `problems` lists everything found (not just the first), `field` and `keyword` name the first one.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
        self.field = problems[0].field if problems else None
        self.keyword = problems[0].keyword if problems else None
