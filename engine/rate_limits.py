"""Request counters that every web process and host shares: the storage behind Flask-Limiter's flood
guards when several processes serve the app (webui/rate_store.py), so N processes allow the configured
rate, not N times it.

Fixed windows, as Flask-Limiter's default strategy counts: a key's row holds its hits and the end of its
window; the first hit after the end starts a new window. Each hit is one statement (INSERT … ON CONFLICT
DO UPDATE … RETURNING) in its own short transaction, so processes counting at once never lose a hit and
never wait for a request's own transaction.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from engine import clock
from engine.db import Base, UTCDateTime, transaction

KEY_LENGTH = 255
# Windows that ended this long ago are deleted now and then (hits start a new window anyway).
KEEP_ENDED = timedelta(hours=1)


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


T = RateLimitCounter.__table__.c


def _key(key: str) -> str:
    # Flask-Limiter's keys (prefix/address/endpoint/limit) are short; a longer one is hashed, not cut.
    return key if len(key) <= KEY_LENGTH else hashlib.sha256(key.encode()).hexdigest()


def hit(sessions: sessionmaker[Session], key: str, expiry_seconds: float, amount: int = 1) -> int:
    """Count `amount` hits of `key` in its current window (a new one of `expiry_seconds` if the last
    ended); returns the window's hits so far, these included."""
    moment = clock.now()
    until = moment + timedelta(seconds=expiry_seconds)
    ended = RateLimitCounter.expires_at <= moment
    with transaction(sessions) as session:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(RateLimitCounter)
            .values(key=_key(key), hits=amount, expires_at=until)
            .on_conflict_do_update(
                index_elements=[T.key],
                set_={"hits": case((ended, amount), else_=RateLimitCounter.hits + amount),
                      "expires_at": case((ended, until), else_=RateLimitCounter.expires_at)},
            )
            .returning(RateLimitCounter.hits)
        )  # fmt: skip
        return int(session.execute(statement).scalar_one())


def hits(sessions: sessionmaker[Session], key: str) -> int:
    """The hits of `key` in its current window (0 when its window ended or it was never hit)."""
    with sessions() as session:
        found = session.scalar(select(RateLimitCounter.hits).where(
            RateLimitCounter.key == _key(key), RateLimitCounter.expires_at > clock.now()))
    return int(found or 0)


def window_end(sessions: sessionmaker[Session], key: str) -> datetime | None:
    """When the current window of `key` ends (None: no window runs)."""
    with sessions() as session:
        return session.scalar(select(RateLimitCounter.expires_at).where(
            RateLimitCounter.key == _key(key), RateLimitCounter.expires_at > clock.now()))


def clear(sessions: sessionmaker[Session], key: str | None = None) -> int:
    """Forget the counts of `key` (None: of every key); returns how many rows went."""
    with transaction(sessions) as session:
        statement = delete(RateLimitCounter)
        if key is not None:
            statement = statement.where(RateLimitCounter.key == _key(key))
        return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def forget_ended(sessions: sessionmaker[Session]) -> int:
    """Delete windows that ended over KEEP_ENDED ago; returns how many."""
    with transaction(sessions) as session:
        result = session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < clock.now() - KEEP_ENDED))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
