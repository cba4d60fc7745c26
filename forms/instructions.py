"""A user task's `instructionsForEndUser`: Jinja over task data -> Markdown -> cleaned HTML.

Analysts write these templates and patients' own answers flow into them, so every stage is defensive:
Jinja runs in an immutable sandbox with autoescape (no attribute tricks, no mutating task data, no
huge strings), Markdown output is cleaned by bleach to a small set of tags and link schemes, and a
broken template shows a short notice instead of failing the page.
"""

from __future__ import annotations

import logging
import operator
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import bleach
import markdown
from flask import has_request_context
from flask_babel import format_date, format_datetime, format_decimal, ngettext
from flask_babel import lazy_gettext as _l
from jinja2 import ChainableUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError, safe_range
from markupsafe import Markup, escape

from engine.numbers import PATTERN, localized_numbers
from engine.workflow import limits
from forms.authored import translated

log = logging.getLogger(__name__)

ALLOWED_TAGS = frozenset({
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "b", "i",
    "a", "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Far more than any instruction needs; stops `{{ 'x' * 10**9 }}` from exhausting memory.
MAX_SEQUENCE_LENGTH = 100_000
MAX_EXPONENT = 100
MAX_BITS = 100_000


def _iso(value: Any, parse: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse(value)
        except ValueError:
            return None
    return value


def _date_filter(value: Any) -> str:
    """`{{ visit_date | date }}`: an ISO date from task data in the reader's locale."""
    parsed = _iso(value, date.fromisoformat)
    if not isinstance(parsed, date) or not has_request_context():
        return str(value)
    return format_date(parsed, "long")


def _datetime_filter(value: Any) -> str:
    parsed = _iso(value, datetime.fromisoformat)
    if not isinstance(parsed, datetime) or not has_request_context():
        return str(value)
    return format_datetime(parsed, "medium")


def _number_filter(value: Any) -> str:
    """`{{ v.amount | number }}`: a measured value from task data ("71.6", "168/96") as the reader writes
    numbers («71,6»); other text as it is."""
    if not has_request_context():
        return "" if value is None else str(value)
    return localized_numbers(value, lambda number: format_decimal(number, PATTERN))


def _years_filter(value: Any) -> str:
    """`{{ application.age | years }}`: an age with its unit in the reader's language and plural («41 год»,
    «42 года», «45 лет»); a bare number next to a name reads as nothing. Anything not a whole number as it is."""
    if isinstance(value, bool) or not isinstance(value, int) or not has_request_context():
        return "" if value is None else str(value)
    return ngettext("%(num)s year", "%(num)s years", value)


# Filters that cannot grow a string beyond its input (plus a guarded join and our date filters).
# Left out: center/indent/wordwrap/format/replace (a width or repeat taken from the template can
# allocate gigabytes), safe (would defeat escaping), random, pprint, urlize, xmlattr.
SAFE_FILTERS = ("abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int",
                "last", "length", "list", "lower", "max", "min", "reverse", "round", "sort", "string",
                "sum", "title", "trim", "truncate", "unique", "upper", "wordcount")
# str methods whose result can be far longer than the string itself.
GROWING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join", "format",
                             "format_map", "encode"})


def _too_long(size: int) -> None:
    if size > MAX_SEQUENCE_LENGTH:
        raise SecurityError("result too long")


def _join_filter(items: Any, separator: str = "") -> str:
    parts = [str(item) for item in items]
    _too_long(sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0))
    return separator.join(parts)


def _budget_range(*args: int) -> Any:
    """Jinja's capped range, ticking the evaluation's budget per item: nested loops stop at the time limit."""
    return limits.ticking(safe_range(*args))


class _InstructionEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N807 - Jinja's names
        limits.tick()  # a recursive macro ticks on every call
        return super().call(__context, __obj, *args, **kwargs)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in GROWING_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError("exponent too large")
            if isinstance(left, int) and isinstance(right, int) and right * abs(left).bit_length() > MAX_BITS:
                raise SecurityError("number too large")
            return operator.pow(left, right)
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int):
                _too_long(len(seq) * times)
        return operator.mul(left, right)


def _environment(autoescape: bool = True) -> _InstructionEnvironment:
    # ChainableUndefined: task data differs between instances; a missing key renders empty, not a 500.
    env = _InstructionEnvironment(autoescape=autoescape, undefined=ChainableUndefined)
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    # translate: a value that is itself a catalog text (a DMN's reason, a unit, an item's title) in the
    # reader's language; anything else comes back as it was.
    env.filters.update(join=_join_filter, date=_date_filter, datetime=_datetime_filter, number=_number_filter,
                       years=_years_filter, translate=translated)
    # lipsum(n) and friends are of no use in instructions; range stays (the sandbox caps it).
    env.globals = {name: env.globals[name] for name in ("dict", "namespace")}
    env.globals["range"] = _budget_range
    return env


_ENV = _environment()
# Form titles and descriptions are plain text that the page escapes once, so no escaping here.
_TEXT_ENV = _environment(autoescape=False)


@lru_cache(maxsize=256)
def _compile_text(template_text: str) -> Template:
    return _TEXT_ENV.from_string(template_text)


def render_text(template_text: str, data: dict[str, Any] | Any) -> str:
    """A form title or description with `{{ ... }}` over task data (SpiffArena renders its form files
    with Jinja); the text as written if the template fails."""
    try:
        return _compile_text(template_text).render({k: v for k, v in dict(data).items() if isinstance(k, str)})
    except Exception:
        log.warning("form text template failed", exc_info=True)
        return template_text


@lru_cache(maxsize=256)
def _compile(template_text: str) -> Template:
    return _ENV.from_string(template_text)


def _clean(html: str) -> str:
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=ALLOWED_PROTOCOLS, strip=True)


def render_instructions(template_text: str, data: dict[str, Any]) -> Markup:
    """Safe HTML of the instructions for the given task data; a short notice if the template fails.

    The template is translated as a whole before it is rendered (the extractor puts each one in the
    catalog as one msgid): a translator sees the full text with its `{{ ... }}` expressions and can
    reorder the sentence around them, which fragments could not allow.
    """
    if not template_text or not template_text.strip():
        return Markup("")
    try:
        with limits.running():  # the same time and memory budget as the pathway's scripts
            text = _compile(translated(template_text)).render({k: v for k, v in data.items() if isinstance(k, str)})
    # Any failure of an analyst's template (syntax, sandbox refusal, type errors in expressions)
    # must not break the task page; the cause goes to the log for the analyst.
    except Exception:
        log.warning("instructions template failed", exc_info=True)
        notice = escape(_l("These instructions could not be shown. Please tell the clinic."))
        return Markup('<p class="cp-instructions-error" role="status">') + notice + Markup("</p>")
    html = markdown.markdown(str(text), extensions=["tables", "sane_lists"],
                             extension_configs={"tables": {"use_align_attribute": True}})
    return Markup(_clean(html))
