"""JSON shapes of the API (kept next to the OpenAPI document in openapi.py; change both).

Texts authored in a pathway (task and pathway titles, form texts) are in the current locale, as on the
pages (see `webui.api.texts`); ids, element names and values never are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from engine.workflow import Actor, InboxItem, TaskView
from forms import translated
from webui.api import texts as api_texts
from webui.instances import data as instances_data
from webui.messages import stored_message
from webui.tasks.pathways import Pathway


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def inbox_item(item: InboxItem, titles: dict[str, str]) -> dict[str, Any]:
    return {
        "instance_id": item.instance_id,
        "task_guid": item.task_guid,
        "title": translated(item.title),
        "pathway": item.process_model_id,
        "pathway_title": translated(titles.get(item.process_model_id, item.process_model_id)),
        "role": item.role,
        "patient_id": item.patient_id,
        "due_at": _time(item.due_at),
        "overdue": item.overdue,
        "queue": item.assignee_user_id is None,
        "claimed_by": item.claimed_by,
        "created_at": _time(item.created_at),
        "url": url_for("api.get_one_task", instance_id=item.instance_id, task_guid=item.task_guid),
    }


def task(view: TaskView, titles: dict[str, str], instructions_html: str, values: dict[str, Any]) -> dict[str, Any]:
    form_schema, ui_schema = api_texts.form(view.form_schema, view.ui_schema)
    return {
        "instance_id": view.instance_id,
        "task_guid": view.task_guid,
        "name": view.name,
        "title": translated(view.title),
        "pathway": view.process_model_id,
        "pathway_title": translated(titles.get(view.process_model_id, view.process_model_id)),
        "role": view.role,
        "lane": view.lane,
        "patient_id": view.patient_id,
        "due_at": _time(view.due_at),
        "instructions_html": instructions_html,
        "form_schema": form_schema,
        "ui_schema": ui_schema,
        "data": values,
        "complete_url": url_for("api.complete", instance_id=view.instance_id, task_guid=view.task_guid),
    }


def pathway(p: Pathway) -> dict[str, Any]:
    return {"id": p.id, "title": translated(p.title), "description": translated(p.description),
            "self_service": p.self_service, "start_form": p.start_form}


def instance(session: Session, actor: Actor, instance_id: int) -> dict[str, Any]:
    """Everything for those with full access; status and the caller's own tasks for the patient."""
    view = instances_data.load(session, actor, instance_id)
    row = view.instance
    body: dict[str, Any] = {
        "id": row.id,
        "pathway": row.process_model_id,
        "pathway_title": translated(view.title),
        "version": view.version_number,
        "status": row.status,
        "patient_id": row.patient_id,
        "created_at": _time(row.created_at),
        "updated_at": _time(row.updated_at),
        "access": view.access,
        "pending_tasks": [
            {"task_guid": p.task_guid, "title": translated(p.title), "role": p.role, "element": p.task_name,
             "due_at": _time(p.due_at), "assignee_user_id": p.assignee_user_id,
             "candidate_group": p.candidate_group, "claimed_by": p.claimed_by}
            for p in view.pending
        ],
    }  # fmt: skip
    if view.access == instances_data.FULL:
        body["error"] = {"message": stored_message(row.error_message), "element": row.error_element} if row.error_message else None
        body["data"] = instances_data.current_data(session, actor, instance_id)
        body["history"] = [
            {"kind": h["kind"], "at": _time(h["at"]), "title": translated(h["title"]), "element": h["element"],
             "by_user_id": h["by_id"], "data": h["data"]}
            for h in instances_data.history(session, instance_id)
        ]  # fmt: skip
    return body
