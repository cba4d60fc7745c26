"""Writing information pages: a new page, a new version when something changed, the history with what
changed between versions. Every check runs before anything is written."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import now
from engine.i18n import N_, NotFound, UserError
from engine.infopages.models import InfoPage, InfoPageVersion

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
TITLE_LIMIT = 200
BODY_LIMIT = 20000
FIELDS = ("title_ru", "title_en", "body_ru", "body_en")
FIELD_LABELS = {"title_ru": N_("Title in Russian"), "title_en": N_("Title in English"),
                "body_ru": N_("Text in Russian"), "body_en": N_("Text in English")}
# The pages the seeds' portals have; the menu and the other pages link to them by these names.
HOW_TO_BOOK = "how-to-book"
HOW_TO_JOIN = "how-to-join"
CONTACTS = "contacts"
INSTITUTION = "institution"


@dataclass(frozen=True)
class Change:
    version: InfoPageVersion
    previous: InfoPageVersion | None
    diffs: dict[str, list[str]]  # field -> unified diff lines (only the fields that changed)


def _clean(fields: Mapping[str, Any]) -> dict[str, str]:
    clean = {}
    for name in FIELDS:
        value = str(fields.get(name) or "").replace("\r\n", "\n").strip()
        limit = TITLE_LIMIT if name.startswith("title") else BODY_LIMIT
        if not value:
            raise UserError(N_("Please fill in: %(field)s."), field=FIELD_LABELS[name])
        if len(value) > limit:
            raise UserError(N_("%(field)s is too long: at most %(limit)s characters."), field=FIELD_LABELS[name],
                            limit=limit)
        clean[name] = value
    return clean


def current(session: Session, page_id: int) -> InfoPageVersion | None:
    return session.scalar(select(InfoPageVersion).where(InfoPageVersion.page_id == page_id)
                          .order_by(InfoPageVersion.number.desc()).limit(1))


def by_slug(session: Session, slug: str) -> tuple[InfoPage, InfoPageVersion]:
    page = session.scalar(select(InfoPage).where(InfoPage.slug == slug))
    version = current(session, page.id) if page is not None else None
    if page is None or version is None:
        raise NotFound(N_("There is no such page."))
    return page, version


def menu(session: Session) -> list[tuple[InfoPage, InfoPageVersion]]:
    """Pages shown in the menu, in their order, with their current versions (one query)."""
    newest = (select(InfoPageVersion.page_id, func.max(InfoPageVersion.number).label("number"))
              .group_by(InfoPageVersion.page_id).subquery())
    rows = session.execute(
        select(InfoPage, InfoPageVersion).join(InfoPageVersion, InfoPageVersion.page_id == InfoPage.id)
        .join(newest, (newest.c.page_id == InfoPageVersion.page_id) & (newest.c.number == InfoPageVersion.number))
        .where(InfoPage.in_menu.is_(True)).order_by(InfoPage.position, InfoPage.slug)
    ).all()  # fmt: skip
    return [(page, version) for page, version in rows]


def all_pages(session: Session) -> list[tuple[InfoPage, InfoPageVersion | None]]:
    return [(p, current(session, p.id)) for p in session.scalars(select(InfoPage).order_by(InfoPage.position, InfoPage.slug))]


def create(session: Session, slug: str, fields: Mapping[str, Any], *, in_menu: bool, position: int,
           actor_id: int, ip: str = "") -> InfoPage:
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise UserError(N_("The page address may have Latin letters, digits and hyphens (for example how-to-book)."))
    if session.scalar(select(InfoPage.id).where(InfoPage.slug == slug)) is not None:
        raise UserError(N_("A page with this address already exists."))
    clean = _clean(fields)
    page = InfoPage(slug=slug, in_menu=in_menu, position=position, created_at=now())
    session.add(page)
    session.flush()
    session.add(InfoPageVersion(page_id=page.id, number=1, changed_by=actor_id, changed_at=now(), **clean))
    audit.record(session, "info_page_changed", actor_id=actor_id, ip=ip, object_type="info_page", object_id=slug,
                 version=1)
    return page


def save(session: Session, slug: str, fields: Mapping[str, Any], *, in_menu: bool, position: int,
         actor_id: int, ip: str = "") -> InfoPageVersion | None:
    """A new version if the text changed (None if nothing did); the menu settings change in place."""
    page, latest = by_slug(session, slug)
    clean = _clean(fields)
    page.in_menu, page.position = in_menu, position
    if all(getattr(latest, name) == clean[name] for name in FIELDS):
        return None
    version = InfoPageVersion(page_id=page.id, number=latest.number + 1, changed_by=actor_id, changed_at=now(), **clean)
    session.add(version)
    audit.record(session, "info_page_changed", actor_id=actor_id, ip=ip, object_type="info_page", object_id=slug,
                 version=version.number, fields=[n for n in FIELDS if getattr(latest, n) != clean[n]])
    return version


def history(session: Session, slug: str) -> list[Change]:
    """Newest first, each version with the lines it changed against the one before."""
    page, _latest = by_slug(session, slug)
    versions = list(session.scalars(select(InfoPageVersion).where(InfoPageVersion.page_id == page.id)
                                    .order_by(InfoPageVersion.number)))
    changes = []
    for previous, version in zip([None, *versions], versions, strict=False):
        diffs = {}
        for name in FIELDS:
            before = getattr(previous, name).splitlines() if previous else []
            after = getattr(version, name).splitlines()
            if before != after:
                diffs[name] = list(difflib.unified_diff(before, after, lineterm="", n=1))[2:]
        changes.append(Change(version, previous, diffs))
    return changes[::-1]
