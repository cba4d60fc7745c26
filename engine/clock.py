"""The platform's notion of "now". Timers, holds and link expiry read it, so tests can move time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Aware UTC now."""
    return _now()


class TestClock:
    """A clock that stands still until moved; install with `use(clock)` and undo with `reset()`."""

    __test__ = False  # not a pytest class

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.current += delta or timedelta(**kwargs)
        return self.current


def use(clock: Callable[[], datetime]) -> None:
    global _now
    _now = clock


def reset() -> None:
    global _now
    _now = lambda: datetime.now(UTC)  # noqa: E731


@contextmanager
def using(clock: Callable[[], datetime]) -> Iterator[None]:
    """`use(clock)` for a block, then give back whatever clock was there (a test's, or the real one)."""
    global _now
    previous = _now
    _now = clock
    try:
        yield
    finally:
        _now = previous


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
