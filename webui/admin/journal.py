"""The whole journal in the staff's words: people by name, and what an entry was about (a pathway
instance with its version change and the reasons of a refusal), never bare ids or internal fields."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import User
from engine.audit import AuditEntry
from engine.workflow.models import ProcessInstance, ProcessModel
from webui.messages import stored_message


def names(session: Session, entries: list[AuditEntry]) -> dict[int, str]:
    ids = {i for e in entries for i in (e.actor_id, e.subject_id) if i}
    if not ids:
        return {}
    return {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(ids)))}


def _pathways(session: Session, entries: list[AuditEntry]) -> dict[str, str]:
    ids = {int(e.object_id) for e in entries if e.object_type == "process_instance" and str(e.object_id).isdigit()}
    if not ids:
        return {}
    rows = session.execute(select(ProcessInstance.id, ProcessModel.title)
                           .join(ProcessModel, ProcessModel.id == ProcessInstance.process_model_id)
                           .where(ProcessInstance.id.in_(ids)))  # fmt: skip
    return {str(i): title for i, title in rows}


def about(session: Session, entries: list[AuditEntry]) -> dict[int, str]:
    """A short text per entry id, for the entries that concern a pathway instance."""
    titles = _pathways(session, entries)
    texts: dict[int, str] = {}
    for e in entries:
        if e.object_type != "process_instance":
            continue
        title = titles.get(str(e.object_id))
        text = _("%(pathway)s #%(id)s", pathway=_(title) if title else _("Pathway"), id=e.object_id)
        details: dict[str, Any] = e.details or {}
        if "to_version" in details:
            text += " — " + _("version %(old)s → %(new)s", old=details.get("from_version", "?"),
                               new=details["to_version"])  # fmt: skip
        if details.get("reasons"):
            text += ": " + " ".join(stored_message(r) for r in details["reasons"])
        texts[e.id] = text
    return texts
