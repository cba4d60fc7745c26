"""Reading the registry: institution lists, the five-filter schedule search, nearest available time.

The slot queries touch only `registry_slot` with its copied ids (no joins over a million rows): names
(department, doctor) are first resolved to ids in the small tables of one institution.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import now
from engine.i18n import N_, UserError
from engine.registry.models import (
    BLOCKED,
    FREE,
    Department,
    Doctor,
    DoctorPost,
    Institution,
    Locality,
    Slot,
    Specialty,
    fold,
)

MAX_SEARCH_DAYS = 62
SEARCH_LIMIT = 2000


def localities(session: Session) -> list[Locality]:
    return list(session.scalars(select(Locality).order_by(Locality.name)))


def institutions(session: Session, locality_id: int, *, kind: str | None = None,
                 specialty_id: int | None = None) -> list[Institution]:
    query = select(Institution).where(Institution.locality_id == locality_id, Institution.active.is_(True))
    if kind:
        query = query.where(Institution.kind == kind)
    if specialty_id:
        query = query.where(
            Institution.id.in_(
                select(Doctor.institution_id).join(DoctorPost, DoctorPost.doctor_id == Doctor.id)
                .where(DoctorPost.specialty_id == specialty_id, Doctor.active.is_(True))
            )
        )
    return list(session.scalars(query.order_by(Institution.name)))


def specialties(session: Session, *, locality_id: int | None = None, institution_id: int | None = None) -> list[Specialty]:
    query = select(Specialty).join(DoctorPost, DoctorPost.specialty_id == Specialty.id).join(
        Doctor, Doctor.id == DoctorPost.doctor_id
    )
    if institution_id is not None:
        query = query.where(Doctor.institution_id == institution_id)
    if locality_id is not None:
        query = query.join(Institution, Institution.id == Doctor.institution_id).where(
            Institution.locality_id == locality_id
        )
    return list(session.scalars(query.distinct().order_by(Specialty.name)))


@dataclass
class Filters:
    """The schedule search of the seed (R-BOOK-21 … R-BOOK-26)."""

    department: str = ""
    specialty_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    doctor: str = ""
    only_free: bool = False

    def check(self, today: date) -> tuple[date, date]:
        start = self.date_from or today
        end = self.date_to or (start + timedelta(days=MAX_SEARCH_DAYS - 1))
        if end < start:
            raise UserError(N_("The end of the period cannot be before its start."))
        if start < today:
            raise UserError(N_("The period cannot start in the past. Choose dates from today on."))
        if (end - start).days >= MAX_SEARCH_DAYS:
            raise UserError(N_("Choose a period of at most %(days)s days."), days=MAX_SEARCH_DAYS)
        return start, end


def _like(text: str) -> str:
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching_posts(session: Session, institution_id: int, filters: Filters) -> list[DoctorPost]:
    query = (
        select(DoctorPost)
        .join(Doctor, Doctor.id == DoctorPost.doctor_id)
        .join(Department, Department.id == DoctorPost.department_id)
        .where(Doctor.institution_id == institution_id, Doctor.active.is_(True))
    )
    if filters.department.strip():
        query = query.where(Department.search_name.like(_like(filters.department), escape="\\"))
    if filters.specialty_id:
        query = query.where(DoctorPost.specialty_id == filters.specialty_id)
    if filters.doctor.strip():
        query = query.where(Doctor.search_name.like(_like(filters.doctor), escape="\\"))
    return list(session.scalars(query.order_by(Department.name, Doctor.last_name, Doctor.first_name)))


def local_bounds(institution: Institution, start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(institution.timezone)
    return (datetime.combine(start, time(0), zone).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC))


def search_slots(session: Session, institution: Institution, filters: Filters,
                 limit: int = SEARCH_LIMIT) -> list[tuple[int, int, datetime, str]]:
    """(slot id, post id, start, status) of the slots the five filters select, earliest first."""
    today = now().astimezone(ZoneInfo(institution.timezone)).date()
    start, end = filters.check(today)
    posts = matching_posts(session, institution.id, filters)
    if not posts:
        return []
    low, high = local_bounds(institution, start, end)
    low = max(low, now())
    query = select(Slot.id, Slot.post_id, Slot.starts_at, Slot.status).where(
        Slot.institution_id == institution.id, Slot.starts_at >= low, Slot.starts_at < high,
        Slot.post_id.in_([p.id for p in posts]),
    )
    query = query.where(Slot.status == FREE) if filters.only_free else query.where(Slot.status != BLOCKED)
    return [tuple(row) for row in session.execute(query.order_by(Slot.starts_at).limit(limit))]  # type: ignore[misc]


def nearest_free(session: Session, *, doctor_id: int, post_id: int | None = None,
                 after: datetime | None = None) -> datetime | None:
    """The doctor's earliest free slot from now (one probe of the partial free-slot index)."""
    query = select(Slot.starts_at).where(Slot.doctor_id == doctor_id, Slot.status == FREE,
                                         Slot.starts_at > (after or now()))
    if post_id is not None:
        query = query.where(Slot.post_id == post_id)
    return session.scalar(query.order_by(Slot.starts_at).limit(1))


@dataclass
class DaySummary:
    day: date
    first: str | None = None  # local "09:00", None when there is no reception
    last: str | None = None
    free: int = 0


@dataclass
class PostSchedule:
    post: DoctorPost
    week: list[DaySummary]
    nearest: datetime | None
    found: int = 0
    days: dict[date, list[tuple[int, str, str]]] = field(default_factory=dict)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def schedule(session: Session, institution: Institution, filters: Filters, week: date | None = None) -> tuple[list[PostSchedule], date]:
    """Doctors matching the filters, each with a week grid (R-BOOK-27) and the nearest free time."""
    zone = ZoneInfo(institution.timezone)
    today = now().astimezone(zone).date()
    start, end = filters.check(today)
    rows = search_slots(session, institution, filters)
    # Without a chosen week, open on the week of the first time found (not an empty week-end).
    first = rows[0][2].astimezone(zone).date() if rows else start
    monday = week_start(week or first)
    by_post: dict[int, list[tuple[int, int, datetime, str]]] = defaultdict(list)
    for row in rows:
        by_post[row[1]].append(row)
    narrowed = bool(filters.only_free or filters.date_from or filters.date_to)
    result = []
    for post in matching_posts(session, institution.id, filters):
        slots = by_post.get(post.id, [])
        if narrowed and not slots:
            continue
        days: dict[date, list[tuple[int, str, str]]] = defaultdict(list)
        for slot_id, _post, starts, status in slots:
            local = starts.astimezone(zone)
            days[local.date()].append((slot_id, local.strftime("%H:%M"), status))
        grid = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            times = days.get(day, [])
            summary = DaySummary(day)
            if times:
                summary.first, summary.last = times[0][1], times[-1][1]
                summary.free = sum(1 for t in times if t[2] == FREE)
            grid.append(summary)
        nearest = next((s[2] for s in slots if s[3] == FREE), None) or (
            None if narrowed else nearest_free(session, doctor_id=post.doctor_id, post_id=post.id)
        )
        result.append(PostSchedule(post, grid, nearest, len(slots), dict(days)))
    return result, monday


def available_times(session: Session, post: DoctorPost, institution: Institution,
                    start: date, days: int = 14) -> dict[date, list[tuple[int, str]]]:
    """Free slots of one doctor's post by local date (R-INST-11, R-BOOK-28)."""
    zone = ZoneInfo(institution.timezone)
    low, high = local_bounds(institution, start, start + timedelta(days=days - 1))
    rows = session.execute(
        select(Slot.id, Slot.starts_at).where(
            Slot.doctor_id == post.doctor_id, Slot.post_id == post.id, Slot.status == FREE,
            Slot.starts_at >= max(low, now()), Slot.starts_at < high,
        ).order_by(Slot.starts_at)
    )
    result: dict[date, list[tuple[int, str]]] = defaultdict(list)
    for slot_id, starts in rows:
        local = starts.astimezone(zone)
        result[local.date()].append((slot_id, local.strftime("%H:%M")))
    return dict(result)
