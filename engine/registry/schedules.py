"""Weekly templates and exceptions -> slots generated ahead, and schedule changes that touch tickets.

A change never drops a booked ticket silently: `preview_*` lists the tickets a change would hit, and
`apply_*` cancels those tickets with reason "schedule_changed", frees nothing under them twice, and
queues a `schedule_changed` message to each patient in the same transaction. A ticket that holds the
time of something with its own pathway (an online consultation) is not cancelled here: its slot is
blocked and the ticket is handed back to the caller, who cancels it through that pathway after commit
(so the patient hears once, from the pathway, and the consultation shows cancelled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import now
from engine.i18n import N_, UserError
from engine.registry import messages
from engine.registry.models import (
    ACTIVE_TICKET,
    BLOCKED,
    FREE,
    T_CANCELLED,
    DoctorPost,
    Institution,
    ScheduleException,
    ScheduleTemplate,
    Slot,
    Ticket,
)

DEFAULT_WEEKS = 8
MIN_SLOT_MINUTES, MAX_SLOT_MINUTES = 5, 240
INSERT_CHUNK = 5000


@dataclass(frozen=True)
class TemplateData:
    post_id: int
    weekday: int
    start: time
    end: time
    slot_minutes: int
    valid_from: date
    valid_to: date | None = None


def check_template(data: TemplateData) -> None:
    if not 0 <= data.weekday <= 6:
        raise UserError(N_("Choose a day of the week."))
    if data.end <= data.start:
        raise UserError(N_("The reception must end after it starts."))
    if not MIN_SLOT_MINUTES <= data.slot_minutes <= MAX_SLOT_MINUTES:
        raise UserError(N_("A slot lasts from %(min)s to %(max)s minutes."), min=MIN_SLOT_MINUTES, max=MAX_SLOT_MINUTES)
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise UserError(N_("The end of the period cannot be before its start."))


def check_interval(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise UserError(N_("The end of the period cannot be before its start."))


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _closed_days(session: Session, institution_id: int, doctor_ids: set[int], start: date, end: date) -> set[tuple[int | None, date]]:
    rows = session.scalars(
        select(ScheduleException).where(
            ScheduleException.institution_id == institution_id,
            ScheduleException.date_to >= start, ScheduleException.date_from <= end,
        )
    )
    closed: set[tuple[int | None, date]] = set()
    for row in rows:
        if row.doctor_id is not None and row.doctor_id not in doctor_ids:
            continue
        for day in _days(max(row.date_from, start), min(row.date_to, end)):
            closed.add((row.doctor_id, day))
    return closed


def planned_slots(session: Session, institution: Institution, start: date, end: date) -> list[dict[str, object]]:
    """Every slot the templates give for days start..end (local dates), minus exceptions."""
    zone = ZoneInfo(institution.timezone)
    templates = session.scalars(
        select(ScheduleTemplate)
        .join(DoctorPost, DoctorPost.id == ScheduleTemplate.post_id)
        .join(DoctorPost.doctor)
        .where(DoctorPost.doctor.has(institution_id=institution.id, active=True))
    ).all()
    doctor_ids = {t.post.doctor_id for t in templates}
    closed = _closed_days(session, institution.id, doctor_ids, start, end)
    rows: list[dict[str, object]] = []
    for t in templates:
        post = t.post
        first = max(start, t.valid_from)
        last = min(end, t.valid_to) if t.valid_to else end
        for day in _days(first, last):
            if day.weekday() != t.weekday or (None, day) in closed or (post.doctor_id, day) in closed:
                continue
            moment = datetime.combine(day, t.start, zone)
            finish = datetime.combine(day, t.end, zone)
            step = timedelta(minutes=t.slot_minutes)
            while moment + step <= finish:
                rows.append({
                    "post_id": post.id, "doctor_id": post.doctor_id, "department_id": post.department_id,
                    "specialty_id": post.specialty_id, "institution_id": institution.id,
                    "starts_at": moment.astimezone(UTC), "ends_at": (moment + step).astimezone(UTC), "status": FREE,
                })
                moment += step
    return rows


def insert_slots(session: Session, rows: Iterable[dict[str, object]]) -> int:
    """Bulk insert; a slot that exists (same doctor, same start) is kept as it is. Returns the rows
    inserted where the driver reports it, else the rows offered."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    batch: list[dict[str, object]] = []
    added = 0

    def flush() -> int:
        if not batch:
            return 0
        # Core on the connection: the ORM's bulk path would build objects nobody reads.
        statement = insert(Slot.__table__).on_conflict_do_nothing(index_elements=["doctor_id", "starts_at"])
        result = session.connection().execute(statement, list(batch))
        count = result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(batch)
        batch.clear()
        return count

    for row in rows:
        batch.append(row)
        if len(batch) >= INSERT_CHUNK:
            added += flush()
    added += flush()
    return added


def local_today(institution: Institution) -> date:
    return now().astimezone(ZoneInfo(institution.timezone)).date()


def generate_slots(session: Session, institution: Institution, weeks: int = DEFAULT_WEEKS) -> int:
    """Slots from today for `weeks` weeks ahead; run daily (idempotent) so the horizon moves on."""
    start = local_today(institution)
    moment = now()
    rows = planned_slots(session, institution, start, start + timedelta(weeks=weeks) - timedelta(days=1))
    return insert_slots(session, (row for row in rows if row["starts_at"] > moment))  # type: ignore[operator]


@dataclass(frozen=True)
class Impact:
    """What a schedule change would do to the future: free slots to remove and tickets it hits."""

    remove_slot_ids: list[int]
    tickets: list[Ticket]
    # Of `tickets`, those left to their own pathway (see apply_change's `handed_over`).
    handed_over: list[Ticket] = field(default_factory=list)


def impact(session: Session, institution: Institution, weeks: int = DEFAULT_WEEKS) -> Impact:
    """Future slots the (already changed, not yet committed) templates and exceptions no longer give."""
    start = local_today(institution)
    end = start + timedelta(weeks=weeks) - timedelta(days=1)
    wanted = {(r["doctor_id"], r["starts_at"]) for r in planned_slots(session, institution, start, end)}
    horizon = datetime.combine(end + timedelta(days=1), time(0), ZoneInfo(institution.timezone))
    existing = session.execute(
        select(Slot.id, Slot.doctor_id, Slot.starts_at, Slot.status).where(
            Slot.institution_id == institution.id, Slot.starts_at >= now(), Slot.starts_at < horizon,
            Slot.status != BLOCKED,
        )
    ).all()
    gone = [row for row in existing if (row.doctor_id, row.starts_at) not in wanted]
    gone_ids = [row.id for row in gone]
    tickets: list[Ticket] = []
    for chunk_start in range(0, len(gone_ids), 500):
        chunk = gone_ids[chunk_start:chunk_start + 500]
        tickets.extend(session.scalars(
            select(Ticket).where(Ticket.slot_id.in_(chunk), Ticket.status.in_(ACTIVE_TICKET)).order_by(Ticket.starts_at)
        ))
    return Impact(gone_ids, tickets)


def apply_change(session: Session, institution: Institution, *, actor_id: int, ip: str = "",
                 base_url: str = "", weeks: int = DEFAULT_WEEKS,
                 handed_over: Callable[[Session, Ticket], bool] | None = None) -> Impact:
    """After templates/exceptions were edited in this session: drop free slots that are gone, block the
    ones under tickets, cancel those tickets and notify each patient; then add the new slots.

    `handed_over(session, ticket)` True: the ticket belongs to another pathway (a consultation's time);
    its slot is blocked but the ticket is left as it is and returned in `Impact.handed_over` for the
    caller to cancel through that pathway once this transaction is committed."""
    session.flush()
    result = impact(session, institution, weeks)
    taken = {t.slot_id for t in result.tickets}
    for chunk_start in range(0, len(result.remove_slot_ids), 500):
        chunk = result.remove_slot_ids[chunk_start:chunk_start + 500]
        free_ids = [i for i in chunk if i not in taken]
        if free_ids:
            # Slots that ever had a ticket stay (history points at them); they are blocked, not deleted.
            used = set(session.scalars(select(Ticket.slot_id).where(Ticket.slot_id.in_(free_ids))))
            session.execute(delete(Slot).where(Slot.id.in_([i for i in free_ids if i not in used]), Slot.status == FREE))
            if used:
                session.execute(update(Slot).where(Slot.id.in_(used)).values(status=BLOCKED))
        if taken & set(chunk):
            session.execute(update(Slot).where(Slot.id.in_(taken & set(chunk))).values(status=BLOCKED))
    moment = now()
    for ticket in result.tickets:
        if handed_over is not None and handed_over(session, ticket):
            result.handed_over.append(ticket)
            continue
        ticket.status = T_CANCELLED
        ticket.ended_at = moment
        ticket.end_reason = "schedule_changed"
        messages.notify(session, ticket, "schedule_changed", base_url=base_url)
        audit.record(session, "ticket_cancelled_by_clinic", actor_id=actor_id, subject_id=ticket.user_id, ip=ip,
                     object_type="ticket", object_id=ticket.id, number=ticket.number)
    generate_slots(session, institution, weeks)
    return result

