"""`ui:options` of each widget: what is allowed, what is required, and the defaults.

The domain widgets draw their rules from here so the studio check, the fields and the template agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import filetype

from engine.i18n import N_

DEFAULT_ACCEPT = ("application/pdf", "image/jpeg", "image/png")
DEFAULT_MAX_SIZE_MB = 20
# Only types `filetype` can recognise by their first bytes can be promised: the check is by content.
# octet-stream is its "unknown binary" answer, which would accept anything.
DETECTABLE_TYPES = frozenset(t.mime for t in filetype.types) - {"application/octet-stream"}

OPTIONS_BY_KIND: dict[str, frozenset[str]] = {
    "textarea": frozenset({"rows"}),
    "slots": frozenset({"provider"}),
    "upload": frozenset({"accept", "maxSizeMb", "maxFiles"}),
    "measurement": frozenset({"unit", "step"}),
    "intensity": frozenset({"labels"}),
}

Report = Callable[..., None]  # (keyword, msgid, **params)


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_widget_options(
    kind: str, prop: dict[str, Any], options: Any, providers: frozenset[str] | None, problem: Report
) -> None:
    """Report problems of the field's ui:options and of schema keywords a domain widget depends on."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        problem("ui:options", N_("must be an object"))
        return
    allowed = OPTIONS_BY_KIND.get(kind, frozenset()) | {"check"}
    for key in sorted(options.keys() - allowed):
        problem(f"ui:options.{key}", N_("is not an option of the %(kind)s widget"), kind=kind)
    if "check" in options:
        _check(options["check"], providers, problem)
    checker = _CHECKERS.get(kind)
    if checker:
        checker(prop, options, providers, problem)


def _check(name: Any, providers: frozenset[str] | None, problem: Report) -> None:
    """`check`: a platform check of the answer against what the server knows (documents uploaded)."""
    if not isinstance(name, str) or not name:
        problem("ui:options.check", N_("must be the name of a platform check"))
    elif providers is not None and name not in providers:
        known = ", ".join(sorted(providers)) or "none"
        problem("ui:options.check", N_("no platform check is called %(name)s (known: %(known)s)"), name=repr(name),
                known=known)


def _textarea(prop: dict[str, Any], options: dict[str, Any], providers: Any, problem: Report) -> None:
    if "rows" in options and not _positive_int(options["rows"]):
        problem("ui:options.rows", N_("must be a whole number above 0"))


def _slots(prop: dict[str, Any], options: dict[str, Any], providers: frozenset[str] | None,
           problem: Report) -> None:
    provider = options.get("provider")
    if not isinstance(provider, str) or not provider:
        problem("ui:options.provider", N_("the slot picker needs the name of a slot provider"))
    elif providers is not None and provider not in providers:
        problem("ui:options.provider", N_("no slot provider is called %(name)s (known: %(known)s)"),
                name=repr(provider), known=", ".join(sorted(providers)) or "-")


def _upload(prop: dict[str, Any], options: dict[str, Any], providers: Any, problem: Report) -> None:
    accept = options.get("accept", list(DEFAULT_ACCEPT))
    if not isinstance(accept, list) or not accept or not all(isinstance(a, str) for a in accept):
        problem("ui:options.accept", N_("must be a non-empty list of MIME types"))
    else:
        unknown = [a for a in accept if a not in DETECTABLE_TYPES]
        if unknown:
            problem("ui:options.accept", N_("cannot recognise %(types)s by content"), types=", ".join(unknown))
    if "maxSizeMb" in options and not _positive_number(options["maxSizeMb"]):
        problem("ui:options.maxSizeMb", N_("must be a number above 0"))
    if "maxFiles" in options:
        if not _positive_int(options["maxFiles"]):
            problem("ui:options.maxFiles", N_("must be a whole number above 0"))
        elif prop.get("type") == "string" and options["maxFiles"] != 1:
            problem("ui:options.maxFiles", N_('a "type": "string" upload holds one file; use an array'))


def _measurement(prop: dict[str, Any], options: dict[str, Any], providers: Any, problem: Report) -> None:
    if not isinstance(options.get("unit"), str) or not options.get("unit"):
        problem("ui:options.unit", N_("a measurement needs its unit, e.g. mmHg"))
    for key in ("minimum", "maximum"):
        if key not in prop:
            problem(key, N_("a measurement needs minimum and maximum (its valid range)"))
    if "step" in options and not _positive_number(options["step"]):
        problem("ui:options.step", N_("must be a number above 0"))


def _intensity(prop: dict[str, Any], options: dict[str, Any], providers: Any, problem: Report) -> None:
    # The scale always starts at 0 = normal, and so does every answer (patients only move what differs).
    if not _positive_int(prop.get("maximum")):
        problem("maximum", N_("an intensity slider needs a whole-number maximum above 0"))
    if prop.get("minimum", 0) != 0:
        problem("minimum", N_("an intensity slider starts at 0 (normal)"))
    if prop.get("default", 0) != 0:
        problem("default", N_("an intensity slider starts at 0 (normal)"))
    for key in ("exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if key in prop:
            problem(key, N_("is not used by an intensity slider"))
    labels = options.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        problem("ui:options.labels", N_("must be a list of texts, one per value from 0"))
    elif _positive_int(prop.get("maximum")) and len(labels) > prop["maximum"] + 1:
        problem("ui:options.labels", N_("has more labels than values on the scale"))


_CHECKERS: dict[str, Callable[[dict[str, Any], dict[str, Any], Any, Report], None]] = {
    "textarea": _textarea,
    "slots": _slots,
    "upload": _upload,
    "measurement": _measurement,
    "intensity": _intensity,
}
