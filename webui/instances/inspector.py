"""What the instance page shows on top of the raw instance: where it stands (also inside a called
process), the path it took, automatic steps for the history, and its data as a readable table.

The data table names people instead of their ids, shortens long texts (a consent's full wording) and
leaves out network addresses; the raw JSON stays one click away, with the same things left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import User
from engine.workflow.models import ProcessInstance, ProcessModelVersion
from engine.workflow.trail import Step, trail

LONG_TEXT = 160  # characters of a value shown in the table before "…"
HIDDEN_KEYS = ("ip", "consent_text", "text_sha256")  # exact keys, or keys ending in "_" + one of these
AUTOMATIC = ("script", "service", "rule", "call", "event", "end")


@dataclass
class CalledView:
    """A called process with something current in it, drawn below the main diagram."""

    process: str
    call_activity: str
    name: str
    current: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)


@dataclass
class Inspection:
    steps: list[Step]
    current_main: list[str]  # elements of the main process to mark current (call activities included)
    done_main: list[str]  # the path taken in the main process
    called: list[CalledView]
    ended_at: str | None  # the end event a completed instance reached


def inspect(session: Session, instance: ProcessInstance, main_process: str) -> Inspection:
    steps = trail(session, instance)
    current_main = sorted({s.call_path[0] if s.call_path else s.element for s in steps if s.current})
    done_main = sorted({s.element for s in steps if not s.current and not s.call_path})
    called: dict[str, CalledView] = {}
    for s in steps:
        if not s.call_path:
            continue
        view = called.setdefault(s.process, CalledView(s.process, s.call_path[-1], _name(steps, s.call_path[-1])))
        (view.current if s.current else view.done).append(s.element)
    ends = [s.element for s in steps if s.kind == "end" and not s.call_path and s.process == main_process]
    return Inspection(steps, current_main, done_main, [v for v in called.values() if v.current],
                      ends[-1] if ends else None)  # fmt: skip


def merge_by_file(session: Session, instance: ProcessInstance, called: list[CalledView]) -> list[CalledView]:
    """Called processes drawn in one file (a session and its "before the session" pool) share one diagram."""
    merged: dict[str, CalledView] = {}
    for view in called:
        xml = called_xml(session, instance, view.process) or view.process
        if xml in merged:
            merged[xml].current += view.current
            merged[xml].done += view.done
        else:
            merged[xml] = view
    return list(merged.values())


def _name(steps: list[Step], element: str) -> str:
    return next((s.name for s in steps if s.element == element and s.name), element)


def automatic_history(inspection: Inspection) -> list[dict[str, Any]]:
    """History rows for the steps nobody did by hand (scripts, services, rules, calls, events, the end)."""
    return [
        {"kind": "step", "at": s.at, "title": s.name or s.element, "element": s.element, "by": None, "by_id": None,
         "data": None, "id": 0, "step_kind": s.kind}
        for s in inspection.steps
        if not s.current and s.kind in AUTOMATIC and s.at is not None
    ]  # fmt: skip


def called_xml(session: Session, instance: ProcessInstance, process_id: str) -> str | None:
    """The BPMN file of a process the instance's version calls (its own or another model's snapshot)."""
    version = session.get(ProcessModelVersion, instance.version_id)
    if version is None:
        return None
    source_id = (version.process_sources or {}).get(process_id, None)
    source = session.get(ProcessModelVersion, source_id) if source_id else version
    if source is None:
        return None
    marker = f'id="{process_id}"'
    return next((text for path, text in sorted(source.files.items()) if path.endswith(".bpmn") and marker in text),
                None)  # fmt: skip


def _hidden(key: str) -> bool:
    low = key.lower()
    return any(low == h or low.endswith("_" + h) for h in HIDDEN_KEYS)


def _people(session: Session, data: Any) -> dict[int, str]:
    ids: set[int] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str) and k.endswith("_id") and isinstance(v, int) and not isinstance(v, bool):
                    ids.add(v)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    if not ids:
        return {}
    return {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(ids)))}


PERSON_KEYS = ("patient_id", "doctor_id", "instructor_id", "manager_id", "user_id", "assignee_id", "by_id")


def cleaned(data: Any) -> Any:
    """The data without network addresses and with long texts shortened (for the raw JSON too)."""
    if isinstance(data, dict):
        return {k: cleaned(v) for k, v in data.items() if not (isinstance(k, str) and _hidden(k))}
    if isinstance(data, list):
        return [cleaned(v) for v in data]
    if isinstance(data, str) and len(data) > LONG_TEXT:
        return data[:LONG_TEXT].rstrip() + "…"
    return data


def data_rows(session: Session, data: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, readable value) for the table, sorted by key; nested values flattened as "a.b"."""
    names = _people(session, data)
    rows: list[tuple[str, str]] = []

    def add(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k in sorted(value, key=str):
                add(f"{prefix}.{k}" if prefix else str(k), value[k])
            return
        last = prefix.rsplit(".", 1)[-1]
        if last in PERSON_KEYS and isinstance(value, int) and value in names:
            rows.append((prefix, f"{names[value]} (#{value})"))
        elif isinstance(value, list):
            rows.append((prefix, ", ".join(str(v) for v in value) if all(not isinstance(v, dict | list) for v in value)
                         else f"{len(value)} ×"))  # fmt: skip
        elif isinstance(value, bool):
            rows.append((prefix, "✓" if value else "✗"))
        else:
            rows.append((prefix, "" if value is None else str(value)))

    add("", cleaned(data))
    return rows
