"""Due timers for long-lived timer workers (workflows/timer_worker.py): when the next one falls due, and
taking due ones so that several workers, on several machines, never fire the same timer twice.

A worker claims rows before it steps their instances: one UPDATE that sets `claimed_until` on due rows
nobody holds and returns their instances. On PostgreSQL the candidates are locked with SKIP LOCKED, so
two workers claiming at once take different rows and neither waits; SQLite runs one writer at a time,
and the UPDATE's own condition (not claimed, or the claim ran out) decides. The claim is a lease
(engine/leases.py): the worker renews it while it fires (`renew`), and a worker that dies holds its rows
only until `claimed_until` passes, one lease (CAREPATH_CLAIM_LEASE_SECONDS) at most, then another takes
them. The engine step's revision check stays the last line: a step that loses a race to a person, or to
a worker that took over a stalled worker's timer, changes nothing, so a timer never fires twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from engine.clock import now as clock_now
from engine.db import transaction
from engine.leases import DEFAULT_LEASE
from engine.workflow.models import WAITING, DueTimer, ProcessInstance
from engine.workflow.steps import SessionFactory

# Renewed while a batch fires, so it needs to outlast only a stall between two renewals; a dead worker's
# timers are late by at most this much.
LEASE = DEFAULT_LEASE
BATCH = 100

T = DueTimer
_free = T.claimed_until.is_(None)


def next_due_at(session_factory: SessionFactory, now: datetime | None = None) -> datetime | None:
    """When the earliest timer that is not being fired falls due (None: no timer waits).

    One walk of the due_at index from its start, so a worker can afford it every second; rows of
    instances that no longer wait, and rows another worker holds, are stepped over."""
    moment = now or clock_now()
    query = (
        select(T.due_at, T.claimed_until)
        .join(ProcessInstance, ProcessInstance.id == T.instance_id)
        .where(ProcessInstance.status == WAITING)
        .order_by(T.due_at)
        .limit(1)
    )
    with session_factory() as session:
        free = session.execute(query.where(_free | (T.claimed_until <= moment))).first()
        held = session.scalar(select(T.claimed_until).where(T.claimed_until > moment).order_by(T.claimed_until).limit(1))
    candidates = [at for at in (free[0] if free else None, held) if at is not None]
    return min(candidates) if candidates else None


def claim_due(
    session_factory: SessionFactory, now: datetime | None = None, limit: int = BATCH, lease: timedelta = LEASE
) -> tuple[list[int], datetime]:
    """Claim up to `limit` due timers for this worker; returns their instances (due order) and the
    claim's end, which `renew` and `release` need."""
    moment = now or clock_now()
    until = moment + lease
    claimable = (T.due_at <= moment) & (_free | (T.claimed_until <= moment))
    # A CTE evaluated once (see engine.outbox.claim_due for why not IN (subquery) on PostgreSQL).
    candidates = (
        select(T.id)
        .join(ProcessInstance, ProcessInstance.id == T.instance_id)
        .where(claimable, ProcessInstance.status == WAITING)
        .order_by(T.due_at, T.id)
        .limit(limit)
        .with_for_update(of=T, skip_locked=True)
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claim = (
        update(T)
        .where(T.id == candidates.c.id, claimable)
        .values(claimed_until=until)
        .returning(T.instance_id, T.due_at)
        .execution_options(synchronize_session=False)
    )
    # Look before claiming: the claim is a write, and on SQLite a write takes the database's lock. The look
    # is its own transaction: on SQLite a transaction that read first and writes later fails at once with
    # "database is locked" when another worker wrote in between.
    with session_factory() as session:
        if session.scalar(select(T.id).where(claimable).limit(1)) is None:
            return [], until
    with transaction(session_factory) as session:
        rows = session.execute(claim).all()
    ordered: dict[int, None] = {}
    for instance_id, _due in sorted(rows, key=lambda r: (r[1], r[0])):
        ordered.setdefault(instance_id, None)
    return list(ordered), until


def renew(
    session_factory: SessionFactory, instance_ids: Iterable[int], until: datetime, lease: timedelta = LEASE
) -> datetime:
    """Move this worker's claims that are still there (timers not fired yet) to end one lease from now;
    returns the new end, which the next renewal and `release` need. A claim another worker took over
    meanwhile (its end is no longer ours) is left alone."""
    ids, new_until = list(instance_ids), clock_now() + lease
    if ids:
        with transaction(session_factory) as session:
            session.execute(
                update(T).where(T.instance_id.in_(ids), T.claimed_until == until).values(claimed_until=new_until)
                .execution_options(synchronize_session=False)
            )
    return new_until


def release(session_factory: SessionFactory, instance_ids: Iterable[int], until: datetime) -> None:
    """Give back this worker's claims that are still there (the timer did not fire: someone else stepped
    the instance meanwhile), so the next round takes them without waiting for the lease."""
    ids = list(instance_ids)
    if not ids:
        return
    with transaction(session_factory) as session:
        session.execute(
            update(T).where(T.instance_id.in_(ids), T.claimed_until == until).values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )
