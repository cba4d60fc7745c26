"""Where an instance's SpiffWorkflow state lives: a head in the instance row, one row per live task.

Why: written whole, the state of a pathway that loops for months grows with every iteration, and so did
the cost of every step. Now:
- `process_instance.state` holds the head: the workflow-level keys of Spiff's serialization (data,
  correlations, last task, root, the subprocesses' own keys, pending BPMN events) and the serializer
  version; it is written with the revision check, as before;
- `process_task` holds one row per task of the live tree, its text exactly what Spiff's task converter
  writes for it; a step inserts the tasks it created, rewrites the ones whose text changed and deletes
  the ones Spiff dropped, so what a step writes follows what it changed, not the instance's age;
- completed loop iterations are cut out of the live tree where that is safe (pruning.py); their rows move
  to `process_task_archive`, which the engine never reads. So loading reads only the live tree.
Head and tasks joined back are one state of Spiff's format and version (serialization.assemble), so
Spiff's migrations apply on load as to a state written whole. With CHECK_AGAINST_STOCK on (tests) every
save reads the rows back from the database and compares them with Spiff's own serialization.

A step's order (steps.save): `prepare` (prune, encode, compare with the rows as loaded), the revision
UPDATE of the instance row with the new head, then `write` of the task rows: the UPDATE decides a race
before any task row is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from engine.clock import now
from engine.workflow import pruning, rawsql, serialization
from engine.workflow.models import ProcessInstance, ProcessTask, ProcessTaskArchive
from engine.workflow.serialization import TOP

_T, _A, _I = ProcessTask.__table__, ProcessTaskArchive.__table__, ProcessInstance.__table__
_RAW_ROWS = rawsql.Statement(
    select(_T.c.task_guid, _T.c.workflow_guid, _T.c.seq, _T.c.body)
    .where(_T.c.instance_id == bindparam("instance_id"))
    .order_by(_T.c.seq)
)
_RAW_HEAD = rawsql.Statement(select(_I.c.state).where(_I.c.id == bindparam("instance_id")))


def _upsert(insert: Any) -> rawsql.Statement:
    statement = insert(_T)
    return rawsql.Statement(
        statement.on_conflict_do_update(
            index_elements=[_T.c.instance_id, _T.c.task_guid], set_={"body": statement.excluded.body}
        )
    )


# New and changed tasks in one statement: both databases take INSERT ... ON CONFLICT DO UPDATE.
_RAW_UPSERT = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
_RAW_DELETE = rawsql.Statement(
    _T.delete().where(
        _T.c.instance_id == bindparam("w_instance_id"), _T.c.task_guid == bindparam("w_task_guid")
    )
)
_RAW_ARCHIVE = rawsql.Statement(_A.insert())


@dataclass
class Stored:
    """The state as the database holds it after a commit: head text and guid -> (workflow key, seq, text)."""

    head: str
    rows: dict[str, tuple[str, int, str]]
    next_seq: int
    # Read from the database rather than written by this process: the same task may then come out as
    # other text (a restored dict keeps its keys in another order), so texts that differ are compared as
    # JSON before a row is rewritten.
    read_back: bool = False
    size: int = field(init=False)  # characters, for the workflow cache's memory budget

    def __post_init__(self) -> None:
        self.size = len(self.head) + sum(len(row[2]) for row in self.rows.values())


EMPTY = Stored("", {}, 0)


@dataclass
class Pending:
    """What `prepare` found to write: the new head, and the task rows by kind of change."""

    stored: Stored
    inserted: list[str]
    changed: list[str]
    deleted: list[str]
    archived: list[tuple[str, str, int, str]]  # guid, workflow key, seq, last text


def load(
    conn: Connection, cur: Any, instance_id: int, head: str, specs: Any, script_engine: Any
) -> tuple[Any, Stored]:
    """The instance's workflow from its head (the row the caller read) and its live task rows."""
    stored = read(conn, cur, instance_id, head)
    tasks: dict[str, dict[str, str]] = {}
    for guid, (key, _seq, text) in stored.rows.items():
        tasks.setdefault(key, {})[guid] = text
    return serialization.load_parts(head, tasks, specs, script_engine), stored


def read(conn: Connection, cur: Any, instance_id: int, head: str) -> Stored:
    rows = rawsql.fetch_all(conn, cur, _RAW_ROWS, {"instance_id": instance_id})
    found = {guid: (key, seq, text) for guid, key, seq, text in rows}
    return Stored(head, found, (rows[-1][2] + 1) if rows else 0, read_back=True)


def prepare(workflow: Any, previous: Stored) -> Pending:
    """Prune, encode, and compare with what the database holds (`previous`, EMPTY for a new instance)."""
    cut = pruning.prune(workflow, TOP)
    old = previous.rows
    rows: dict[str, tuple[str, int, str]] = {}
    inserted, changed = [], []
    next_seq = previous.next_seq
    parts = [(TOP, workflow), *((str(k), sub) for k, sub in workflow.subprocesses.items())]
    for key, wf in parts:
        for guid, text in serialization.dump_tasks(wf.tasks.values()).items():
            before = old.get(guid)
            if before is None:
                rows[guid] = (key, next_seq, text)
                next_seq += 1
                inserted.append(guid)
            else:
                if before[2] == text or (previous.read_back and serialization.same_json(before[2], text)):
                    rows[guid] = before  # unchanged: keep the text the database holds
                else:
                    rows[guid] = (key, before[1], text)
                    changed.append(guid)
    archived = []
    for key, tasks in cut.tasks.items():
        for guid, text in serialization.dump_tasks(tasks).items():
            before = old.get(guid)
            archived.append((guid, key, before[1] if before else -1, text))
    gone = set(old) - set(rows)
    archived_guids = {a[0] for a in archived}
    deleted = [guid for guid in old if guid in gone and guid not in archived_guids]
    head = serialization.dump_head(workflow)
    return Pending(Stored(head, rows, next_seq), inserted, changed, deleted, archived)


def write(conn: Connection, cur: Any, instance_id: int, pending: Pending, previous: Stored) -> None:
    """Write the task rows `prepare` found changed; the caller has written the head in the same transaction."""
    rows = pending.stored.rows
    written = pending.inserted + pending.changed
    if written:
        values = [
            {"instance_id": instance_id, "task_guid": g, "workflow_guid": key, "seq": seq, "body": text}
            for g in written
            for key, seq, text in (rows[g],)
        ]
        rawsql.run(conn, cur, _RAW_UPSERT[conn.dialect.name], _one_or_many(values))
    gone = pending.deleted + [a[0] for a in pending.archived if a[0] in previous.rows]
    if gone:
        rawsql.run(
            conn,
            cur,
            _RAW_DELETE,
            _one_or_many([{"w_instance_id": instance_id, "w_task_guid": g} for g in gone]),
        )
    if pending.archived:
        at = now()
        values = [
            {
                "instance_id": instance_id,
                "task_guid": g,
                "workflow_guid": key,
                "seq": seq,
                "body": text,
                "archived_at": at,
            }
            for g, key, seq, text in pending.archived
        ]
        rawsql.run(conn, cur, _RAW_ARCHIVE, _one_or_many(values), insert_keys=True)


def check_against_stock(conn: Connection, cur: Any, instance_id: int, workflow: Any) -> None:
    """Tests: the head and rows in the database, joined, are what Spiff's own serializer writes."""
    head = rawsql.fetch_all(conn, cur, _RAW_HEAD, {"instance_id": instance_id})[0][0]
    stored = read(conn, cur, instance_id, head)
    tasks: dict[str, dict[str, str]] = {}
    for guid, (key, _seq, text) in stored.rows.items():
        tasks.setdefault(key, {})[guid] = text
    found, expected = serialization.assemble(head, tasks), serialization.stock_state(workflow)
    assert found == expected, (found, expected)


def save_outside_step(
    conn: Connection, instance_id: int, workflow: Any, write_head: Callable[[str], None]
) -> None:
    """For writers outside an engine step (moving an instance to a new version): `write_head(head)` writes
    the instance row with the caller's revision check (raising when it lost), then the task rows are
    written against what the database holds, in the caller's transaction."""
    cur = rawsql.cursor(conn)
    previous = read(conn, cur, instance_id, "")
    pending = prepare(workflow, previous)
    write_head(pending.stored.head)
    write(conn, cur, instance_id, pending, previous)
    if serialization.CHECK_AGAINST_STOCK:
        check_against_stock(conn, cur, instance_id, workflow)


def load_outside_step(conn: Connection, instance_id: int, head: str, specs: Any, script_engine: Any) -> Any:
    """The workflow of an instance for reading (views) or for a writer outside a step."""
    return load(conn, rawsql.cursor(conn), instance_id, head, specs, script_engine)[0]


def _one_or_many(rows: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    return rows[0] if len(rows) == 1 else rows
