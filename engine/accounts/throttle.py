"""Login protection: failed attempts are limited per account and per address, counted in the audit journal.

Counting per account (from any address) slows a guesser who rotates addresses; counting per address
(over all accounts) stops one address spraying many accounts. An office behind one address is not
blocked for everybody when one colleague (or an intruder) hammers one account: refused attempts check no
password and are not failures, so they never add to the address's count. The journal is the counter,
so several web processes and machines share it. Every refusal is journalled; the owner of an account
that reaches the limit gets one mail per window, with a link to reset the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, outbox
from engine.accounts.models import User
from engine.clock import now

WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # wrong passwords for one account, from any address, within WINDOW
ADDRESS_FAILURES = 20  # wrong passwords or codes from one address, over all accounts, within WINDOW
FAILURE_ACTIONS = ("login_failed", "login_code_failed")
ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class Refusal:
    reason: str  # ACCOUNT or ADDRESS
    minutes: int  # until the oldest counted failure leaves the window


def _failures(session: Session, *conditions: object) -> tuple[int, object]:
    since = now() - WINDOW
    count, oldest = session.execute(
        select(func.count(), func.min(audit.AuditEntry.at)).where(
            audit.AuditEntry.action.in_(FAILURE_ACTIONS), audit.AuditEntry.at >= since, *conditions
        )
    ).one()
    return int(count or 0), oldest


def _minutes_left(oldest: object) -> int:
    left = (oldest + WINDOW - now()).total_seconds() if oldest is not None else 0  # type: ignore[operator]
    return max(1, int(left // 60) + 1)


def account_failures(session: Session, user: User) -> int:
    return _failures(session, audit.AuditEntry.subject_id == user.id, audit.AuditEntry.actor_id.is_(None))[0]


def check(session: Session, user: User | None, email: str, *, ip: str) -> Refusal | None:
    """A Refusal (already journalled, in the caller's transaction) or None: the password may be checked."""
    refusal = None
    if user is not None:
        count, oldest = _failures(session, audit.AuditEntry.subject_id == user.id,
                                  audit.AuditEntry.actor_id.is_(None))  # fmt: skip
    else:
        # An address without an account pauses like one, or the pause would tell which emails exist.
        count, oldest = _failures(session, audit.AuditEntry.subject_id.is_(None),
                                  audit.AuditEntry.details["email"].as_string() == (email or "")[:254])  # fmt: skip
    if count >= ACCOUNT_FAILURES:
        refusal = Refusal(ACCOUNT, _minutes_left(oldest))
    if refusal is None and ip:
        count, oldest = _failures(session, audit.AuditEntry.ip == ip)
        if count >= ADDRESS_FAILURES:
            refusal = Refusal(ADDRESS, _minutes_left(oldest))
    if refusal is not None:
        journal_refusal(session, user, email, ip=ip, reason=refusal.reason)
    return refusal


def journal_refusal(session: Session, user: User | None, email: str, *, ip: str, reason: str) -> None:
    details = {"email": email[:254]} if user is None and email else {}
    audit.record(session, f"login_refused_{reason}", actor_id=None, subject_id=user.id if user else None, ip=ip,
                 **details)  # fmt: skip


def after_failure(session: Session, user: User | None, *, base_url: str) -> None:
    """Call after a journalled wrong password: the owner is told once the account reaches the limit."""
    if user is None or not user.email:
        return
    session.flush()
    count = account_failures(session, user)
    if count < ACCOUNT_FAILURES:
        return
    started = now()
    bucket = int(started.timestamp() // WINDOW.total_seconds())
    outbox.enqueue(
        session, kind="login_failures", to=user.email, locale=user.locale, user_id=user.id,
        dedupe_key=f"login_failures:{user.id}:{bucket}",
        context={"name": user.first_name, "count": count, "minutes": int(WINDOW.total_seconds() // 60),
                 "link": base_url.rstrip("/") + "/account/reset"},
    )  # fmt: skip
