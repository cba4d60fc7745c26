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


# A message kept in the database for later display (an instance's error): the msgid and its parameters,
# so each reader sees it in their own language. Text without the prefix is shown as it is.
CODED_PREFIX = "msgid:"


def coded_message(message: str, params: dict[str, object] | None = None) -> str:
    import json

    return CODED_PREFIX + json.dumps({"msgid": message, "params": params or {}}, ensure_ascii=False)


def decode_message(text: str | None) -> tuple[str, dict[str, object]] | None:
    """(msgid, params) of a coded message, None for plain text."""
    import json

    if not text or not text.startswith(CODED_PREFIX):
        return None
    try:
        body = json.loads(text[len(CODED_PREFIX):])
        return str(body["msgid"]), dict(body.get("params") or {})
    except (ValueError, KeyError, TypeError):
        return None
