"""Marking user-facing text in layers that must not import Flask-Babel.

`N_("text")` returns the text unchanged; pybabel extracts it (keyword N_), and the web layer translates
the English message id when it shows it, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


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


def nested_message(message: str, params: dict[str, object] | None = None) -> dict[str, object]:
    """A message as a parameter of another ("The form cannot be shown: %(reason)s"), kept as msgid and
    parameters so that `render_message` translates both, in the reader's language."""
    return {"msgid": message, "params": dict(params or {})}


def _is_nested(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("msgid"), str) and isinstance(value.get("params", {}), dict)


def render_message(
    message: str, params: Mapping[str, object] | None = None, translate: Callable[[str], str] | None = None
) -> str:
    """A msgid with its parameters as text: `translate` (gettext of the reader's or the terminal's
    language; none: English) is applied to the msgid and to every nested message (`nested_message`);
    plain parameters (a file, a field, a number) are inserted as they are. A translation whose
    placeholders do not fit falls back to the English text rather than failing."""
    gettext = translate or (lambda text: text)
    values = {
        key: render_message(value["msgid"], value.get("params") or {}, translate)
        if isinstance(value, dict) and _is_nested(value) else value
        for key, value in (params or {}).items()
    }
    text = gettext(message)
    if not values:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        return message % values
