"""Work groups: named sets of people an admin manages, for tasks in lanes that are not roles.

A BPMN lane named after a CarePath role keeps the role rule (engine.workflow.access); any other lane
name (SpiffArena's "Finance Team", "group1") is a work group of that exact name, and its tasks go to
the group's members. SpiffArena's `get_group_members` reads the same table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.accounts.models import User
from engine.db import Base
from engine.i18n import N_, NotFound, UserError

GROUP_NAME_MAX = 100


class WorkGroupMember(Base):
    __tablename__ = "work_group_member"
    __table_args__ = (UniqueConstraint("group_name", "user_id", name="uq_work_group_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_name: Mapped[str] = mapped_column(String(GROUP_NAME_MAX), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > GROUP_NAME_MAX:
        raise UserError(N_("A group name is 1 to %(max)s characters."), max=GROUP_NAME_MAX)
    return name


def groups_of(session: Session, user_id: int) -> list[str]:
    return list(session.scalars(select(WorkGroupMember.group_name).where(WorkGroupMember.user_id == user_id)))


def all_groups(session: Session) -> dict[str, list[User]]:
    """Group name -> members, sorted by name."""
    rows = session.execute(
        select(WorkGroupMember.group_name, User).join(User, User.id == WorkGroupMember.user_id)
        .order_by(WorkGroupMember.group_name, User.email)
    )
    found: dict[str, list[User]] = {}
    for name, user in rows:
        found.setdefault(name, []).append(user)
    return found


def member_emails(session: Session, name: str) -> list[str] | None:
    """The members' logins (emails), or None when no such group has members."""
    emails = list(session.scalars(
        select(User.email).join(WorkGroupMember, WorkGroupMember.user_id == User.id)
        .where(WorkGroupMember.group_name == name)
    ))
    return sorted(emails) if emails else None


def add_member(session: Session, name: str, email: str) -> User:
    name = clean_name(name)
    user = session.scalars(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None:
        raise NotFound(N_("There is no account %(email)s."), email=email)
    exists = session.scalars(
        select(WorkGroupMember).where(WorkGroupMember.group_name == name, WorkGroupMember.user_id == user.id)
    ).first()
    if exists is None:
        session.add(WorkGroupMember(group_name=name, user_id=user.id))
        session.flush()
    return user


def remove_member(session: Session, name: str, user_id: int) -> None:
    session.execute(delete(WorkGroupMember).where(WorkGroupMember.group_name == name, WorkGroupMember.user_id == user_id))


def user_dict(user: Any) -> dict[str, Any]:
    """A person as SpiffArena's scripts see a user (get_current_user...): no secrets, no contact numbers."""
    display = " ".join(p for p in (user.first_name, user.last_name) if p) or user.email
    return {"id": user.id, "username": user.email, "email": user.email, "display_name": display,
            "service": "carepath", "service_id": str(user.id)}
