"""Time and memory budgets for pathway code (scripts, expressions, instruction templates).

Why in-process and not a pool of worker processes: measured with `bench/engine.py`, one round trip to
a sandbox process costs 60-100 µs against 2-4 µs for an evaluation here, i.e. several times the whole
evaluation and 10-30 % of an engine step for the pathways that evaluate a dozen expressions per step;
and a script needs the step's task data, helpers and the platform clock, which would all have to be
shipped. So the budget is compiled into the code instead (see sandbox.BudgetPolicy):

- time: every loop iteration, function call and lambda calls `tick()`, which compares the monotonic
  clock with the evaluation's deadline; iterators (for-loops, comprehensions, `range`) tick per item,
  so `sum(range(10**12))` stops too. What no Python code can interrupt (one C call on a huge value) is
  refused by the size guards before it starts.
- memory: operations that can build a huge value from a small expression (`*`, `**`, `<<`, `+`, `%`,
  str.ljust and friends, str.join, list.extend) predict the size of their result and refuse it when it
  exceeds the limit; and every few milliseconds of a running loop, `tick()` compares the process's
  resident memory with what it was when the loop began, which stops a loop that keeps appending.

The budget of the running evaluation lives in a thread-local: web threads evaluate concurrently.
Outside any evaluation (`budget()` is None) the guards only apply the size limits.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.i18n import N_

DEFAULT_SECONDS = 2.0
DEFAULT_MEGABYTES = 256
# Task data is written with the instance's state at every step: far less than a script may allocate.
TASK_DATA_MAX_BYTES = 8 * 1024 * 1024
# A number this long is no care pathway's business, and computing it would hold the thread in C.
MAX_INT_BITS = 100_000
# Ranges up to this length are returned as they are (len, indexing); longer ones tick per item.
PLAIN_RANGE = 100_000
# One engine step may run many pieces of code (a BPMN loop of script tasks): together they get this many
# times the limit of one, which keeps a step well inside gunicorn's request timeout (webui/cli.py).
STEP_FACTOR = 5
# How often a running loop compares the process's memory with its start (seconds of running time).
MEMORY_CHECK_INTERVAL = 0.002

TIME_MESSAGE = N_("The script ran longer than %(seconds)s s and was stopped.")
STEP_MESSAGE = N_("The pathway's code ran longer than %(seconds)s s in one step and was stopped.")
MEMORY_MESSAGE = N_("The script used more than %(megabytes)s MB of memory and was stopped.")
NUMBER_MESSAGE = N_("The script computed a number longer than %(digits)s digits.")
DATA_SIZE_MESSAGE = N_("The script put %(size)s MB into the task data (%(name)s); the limit is %(limit)s MB.")
DATA_TYPE_MESSAGE = N_(
    "The script put a value of type %(type)s into the task data (%(name)s); task data holds only text, "
    "numbers, true/false, dates, lists and dictionaries."
)


class ScriptLimitError(Exception):
    """Pathway code went past a limit: `message` is an N_ msgid, `params` fill it (see engine.i18n)."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass
class Limits:
    seconds: float = DEFAULT_SECONDS
    megabytes: int = DEFAULT_MEGABYTES
    enabled: bool = True

    @property
    def max_bytes(self) -> int:
        return self.megabytes * 1024 * 1024


LIMITS = Limits()  # configured once at start (configure()); bench/engine.py switches it off to compare


def configure(seconds: float, megabytes: int) -> None:
    LIMITS.seconds, LIMITS.megabytes = seconds, megabytes


# ------------------------------------------------------------------------------------------ budget

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_local = threading.local()


def resident_bytes() -> int:
    """The process's resident memory now (Linux; 0 where /proc is missing, which turns the check off)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return 0


class Budget:
    __slots__ = ("deadline", "seconds", "max_bytes", "megabytes", "rss_start", "next_check", "step_bound")

    def __init__(self, limits: Limits) -> None:
        self.seconds, self.megabytes, self.max_bytes = limits.seconds, limits.megabytes, limits.max_bytes
        start = time.monotonic()
        self.deadline = start + limits.seconds
        step_deadline: float | None = getattr(_local, "step_deadline", None)
        self.step_bound = step_deadline is not None and step_deadline < self.deadline
        if step_deadline is not None and self.step_bound:
            self.deadline = step_deadline
            if start > step_deadline:
                self._over()
        self.rss_start = -1  # read at the first check: most evaluations never loop long enough to need it
        self.next_check = start

    def _over(self) -> None:
        if self.step_bound:
            raise ScriptLimitError(STEP_MESSAGE, seconds=_number(self.seconds * STEP_FACTOR))
        raise ScriptLimitError(TIME_MESSAGE, seconds=_number(self.seconds))

    def tick(self) -> None:
        moment = time.monotonic()
        if moment > self.deadline:
            self._over()
        if moment >= self.next_check:
            self.next_check = moment + MEMORY_CHECK_INTERVAL
            rss = resident_bytes()
            if self.rss_start < 0:
                self.rss_start = rss
            elif rss - self.rss_start > self.max_bytes:
                raise ScriptLimitError(MEMORY_MESSAGE, megabytes=self.megabytes)


def _number(value: float) -> str:
    return f"{value:g}"


def budget() -> Budget | None:
    return getattr(_local, "budget", None)


@contextmanager
def running() -> Iterator[Budget | None]:
    """The budget of one evaluation; nested evaluations (a DMN table inside a step) share the outer one."""
    outer = getattr(_local, "budget", None)
    if outer is not None or not LIMITS.enabled:
        yield outer
        return
    current = _local.budget = Budget(LIMITS)
    try:
        yield current
    finally:
        _local.budget = None


@contextmanager
def step() -> Iterator[None]:
    """Around one engine step's run: the evaluations in it share STEP_FACTOR times the limit."""
    if not LIMITS.enabled or getattr(_local, "step_deadline", None) is not None:
        yield
        return
    _local.step_deadline = time.monotonic() + LIMITS.seconds * STEP_FACTOR
    try:
        yield
    finally:
        _local.step_deadline = None


def tick(value: Any = None) -> Any:
    """Compiled into loops, functions and lambdas; returns its argument so a lambda body can pass through."""
    current = getattr(_local, "budget", None)
    if current is not None:
        current.tick()
    return value


def ticking(iterable: Any) -> Iterator[Any]:
    current = getattr(_local, "budget", None)
    if current is None:
        yield from iterable
        return
    step = current.tick
    for item in iterable:
        step()
        yield item


# Iterating these cannot run longer than their length, and they cannot grow while iterated (dicts and
# sets raise if they do): no tick needed per item. Lists can grow under their own loop, so they tick.
_FINITE = (tuple, str, bytes, dict, set, frozenset)


def guarded_iter(obj: Any) -> Iterator[Any]:
    if type(obj) in _FINITE or (type(obj) is range and len(obj) <= PLAIN_RANGE):
        return iter(obj)
    return ticking(obj)


class _LongRange:
    """A range too long to walk in one C call: iterating ticks; no len(), so list() cannot preallocate."""

    __slots__ = ("_range",)

    def __init__(self, r: range) -> None:
        self._range = r

    def __iter__(self) -> Iterator[int]:
        return ticking(self._range)

    def __contains__(self, item: object) -> bool:
        return item in self._range

    def __getitem__(self, index: Any) -> Any:
        return self._range[index]


def guarded_range(*args: int) -> Any:
    r = range(*args)
    return r if len(r) <= PLAIN_RANGE else _LongRange(r)


# ------------------------------------------------------------------------------------------ sizes


def _limit_bytes() -> int:
    current = budget()
    return current.max_bytes if current is not None else LIMITS.max_bytes


def _megabytes() -> int:
    current = budget()
    return current.megabytes if current is not None else LIMITS.megabytes


# Results smaller than this are not worth reading the process's memory for.
_SMALL_RESULT = 1024 * 1024


def check_size(size: int) -> None:
    """Refuse a result that would take the evaluation past the memory limit: by itself, or together with
    what the evaluation has already grown the process by (`x = x + x` keeps the old x while the new one is built)."""
    limit = _limit_bytes()
    if size > limit:
        raise ScriptLimitError(MEMORY_MESSAGE, megabytes=_megabytes())
    current = budget()
    if size > _SMALL_RESULT and current is not None:
        rss = resident_bytes()
        if current.rss_start < 0:
            current.rss_start = rss
        elif rss - current.rss_start + size > limit:
            raise ScriptLimitError(MEMORY_MESSAGE, megabytes=current.megabytes)


def _item_bytes(seq: Any) -> int:
    return 1 if isinstance(seq, str | bytes) else 8  # a str of ASCII, a list of pointers: the least it takes


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptLimitError(NUMBER_MESSAGE, digits=MAX_INT_BITS * 3 // 10)


_SEQUENCES = (str, bytes, list, tuple)


def guarded_mul(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, _SEQUENCES) and isinstance(times, int):
            check_size(len(seq) * times * _item_bytes(seq))
    if type(left) is int and type(right) is int:
        _check_bits(left.bit_length() + right.bit_length())
    return left * right


def guarded_pow(left: Any, right: Any, modulo: Any = None) -> Any:
    if modulo is None and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        _check_bits(right * left.bit_length())
    return left**right if modulo is None else pow(left, right, modulo)


def guarded_lshift(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and left:
        _check_bits(left.bit_length() + right)
    return left << right


def guarded_add(left: Any, right: Any) -> Any:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        check_size((len(left) + len(right)) * _item_bytes(left))
    return left + right


# Widths that make a formatted value huge: 7 digits and more, or given as an argument (checked too late).
_SPEC_WIDTH = re.compile(r"\d{7,}")  # in a format spec: format(x, ">10000000"), f"{x:>10000000}"
_FIELD_WIDTH = re.compile(r"\{[^{}]*:[^{}]*(?:\d{7,}|\{)")  # in str.format: "{:>10000000}", "{:>{}}"
_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(?:\*|\d{7,})")  # in %-formatting: "%10000000d", "%*d"


def _refuse_if(pattern: re.Pattern[str], text: str) -> None:
    if pattern.search(text):
        raise ScriptLimitError(MEMORY_MESSAGE, megabytes=_megabytes())


def guarded_mod(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        _refuse_if(_PERCENT_WIDTH, left)
    return left % right


def guarded_format(value: Any, spec: str = "") -> str:
    _refuse_if(_SPEC_WIDTH, str(spec))
    return format(value, spec)


def _guard_str_method(text: str, name: str, method: Any) -> Any:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if name in ("ljust", "rjust", "center", "zfill") and args and isinstance(args[0], int):
            check_size(args[0])
        elif name == "expandtabs":
            check_size(len(text) * (args[0] if args and isinstance(args[0], int) else 8))
        elif name == "replace" and len(args) >= 2 and isinstance(args[1], str):
            count = args[2] if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0 else len(text) + 1
            check_size(len(text) + count * len(args[1]))
        elif name in ("format", "format_map"):
            _refuse_if(_FIELD_WIDTH, text)
        elif name == "join" and args and isinstance(args[0], list | tuple):
            check_size(sum(len(str(part)) for part in args[0]) + len(text) * len(args[0]))
        return method(*args, **kwargs)

    return guarded


_GROWING_STR = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "format", "format_map", "join"})


def guard_attribute(obj: Any, name: str, value: Any) -> Any:
    """Wrap the methods of str and list that can grow a value far beyond their input."""
    if type(obj) is str and name in _GROWING_STR:
        return _guard_str_method(obj, name, value)
    if type(obj) is list and name == "extend":
        return _guard_extend(obj, value)
    return value


def _guard_extend(target: list[Any], method: Any) -> Any:
    def extend(items: Any) -> None:
        if isinstance(items, _SEQUENCES):
            check_size((len(target) + len(items)) * 8)
        method(items if isinstance(items, _SEQUENCES) else ticking(items))

    return extend


# ------------------------------------------------------------------------------------------ task data

_LEAVES = (str, int, float, bool, type(None))


def check_task_data(name: str, value: Any) -> None:
    """Refuse a value a script puts into task data that the state could not hold or would be too large."""
    size = _data_size(name, value, 0)
    if size > TASK_DATA_MAX_BYTES:
        raise ScriptLimitError(
            DATA_SIZE_MESSAGE, name=name, size=_number(round(size / 1024 / 1024, 1)),
            limit=_number(TASK_DATA_MAX_BYTES / 1024 / 1024),
        )  # fmt: skip


def _data_size(name: str, value: Any, depth: int) -> int:
    from datetime import date, datetime, timedelta
    from decimal import Decimal
    from uuid import UUID

    if isinstance(value, str):
        return len(value)
    if isinstance(value, _LEAVES):
        return 8
    if isinstance(value, date | datetime | timedelta | Decimal | UUID):
        return 32
    if depth < 50:
        if isinstance(value, list | tuple):
            return 8 + sum(_data_size(name, item, depth + 1) for item in value)
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return 8 + sum(len(k) + _data_size(name, v, depth + 1) for k, v in value.items())
    raise ScriptLimitError(DATA_TYPE_MESSAGE, name=name, type=type(value).__name__)


def limit_error(exc: BaseException | None) -> ScriptLimitError | None:
    """The ScriptLimitError behind an exception SpiffWorkflow wrapped (or the error itself)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ScriptLimitError):
            return exc
        exc = getattr(exc, "error", None) or getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
        seen += 1
    return None
