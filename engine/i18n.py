"""Marking user-facing text in layers that must not import Flask-Babel.

`N_("text")` returns the text unchanged; pybabel extracts it (keyword N_), and the web layer translates
the English message id when it shows it, in the reader's language.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    return message


class UserError(Exception):
    """A problem the person caused and can fix: shown to them, translated, and nothing was changed.

    `message` is an English msgid marked with N_; `params` fill its %(name)s placeholders after
    translation, so the translator sees one stable string.
    """

    status = 400

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class NotFound(UserError):
    status = 404


class Forbidden(UserError):
    status = 403


class Conflict(UserError):
    status = 409
