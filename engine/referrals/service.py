"""Preview, import and report of a referral table (route 3, R-CONS-3-01..05).

1. `create_preview` parses and validates the file and stores every row with its per-cell reasons;
   nothing else changes. A file that is not a table raises TableError and stores nothing. When a
   required column is not found (and no earlier choice for this institution or header set says which it
   is), the table is stored unchecked with status COLUMNS and the manager says which column is which
   (`set_columns`, which also remembers the choice); `set_columns` may also change a preview's columns.
2. `queue_import` marks the manager's decision to import the good rows.
3. `run_import` does the work; the Prefect flow (workflows/imports.py), the CLI and the web app's
   fallback thread all call it. It is resumable and safe to run twice:
   - one runner at a time holds a lease on the import (renewed per chunk; a dead runner's lease runs out);
   - phase A, per chunk, in one transaction: each pending row gets its patient (created, completed or
     matched) and, for a new patient, the activation message, then becomes PATIENT_READY with
     `start_requested_at` set. A crash rolls back the chunk's rows together; none is half-done;
   - phase B, per chunk: `consultation_referral` is started for the chunk's rows in one engine
     transaction (`start_instances`, all or none), then the rows become STARTED with the instance ids.
     If the process dies between the two, the rerun finds the
     instance started for that patient by this manager since `start_requested_at` and adopts it;
   - a patient already referred with the same diagnosis and target (an earlier import of the same
     table) is skipped with the reason, so reimporting a file creates nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import audit, roles
from engine.accounts.models import User
from engine.clock import now
from engine.db import transaction
from engine.i18n import N_, Conflict, NotFound, UserError
from engine.referrals import mapping
from engine.referrals import models as m
from engine.referrals.models import ReferralImport, ReferralRow
from engine.referrals.parse import MAPPABLE, Columns, Table, auto_columns, read_table
from engine.referrals.patients import ensure_patients
from engine.referrals.validate import fingerprint, validate_rows
from engine.workflow import Actor, ConnectorRegistry, start_instances
from engine.workflow.models import ProcessInstance

MODEL_ID = "consultation_referral"
CHUNK = 100
LEASE = timedelta(minutes=10)
SessionFactory = sessionmaker[Session]


def known_institutions(session: Session) -> list[str] | None:
    """Institution names of the registry, or None when it has none (then any name is accepted)."""
    try:
        from engine.registry.models import Institution
    except ImportError:  # the registry is optional for the import
        return None
    names = list(session.scalars(select(Institution.name)))
    return names or None


def known_target(session: Session) -> Callable[[str], bool] | None:
    """Whether a target names a known specialty or consultation center (each name asked once per file), or
    None when the registry knows no specialty (then any target is accepted, as for institutions)."""
    from engine.consultations.connectors import target_known
    from engine.registry.models import Specialty, fold

    if session.scalar(select(Specialty.id).limit(1)) is None:
        return None
    answers: dict[str, bool] = {}

    def known(target: str) -> bool:
        key = fold(target)
        if key not in answers:
            answers[key] = target_known(session, target)
        return answers[key]

    return known


def create_preview(
    session: Session, manager: User, filename: str, content: bytes, *, base_url: str, ip: str = "",
    ask_columns: bool = False,
) -> ReferralImport:
    """The checked table, stored. `ask_columns`: a table lacking a required column is stored for the
    manager to say which column is which (the web page); without it (the CLI) it is refused."""
    if not manager.has_role(roles.MANAGER, roles.ADMIN):
        raise NotFound(N_("There is no such import."))
    table = read_table(content, filename)
    remembered = mapping.remembered_for(session, table)
    if remembered:
        table = table.with_columns(auto_columns(table.headers, remembered))
    if not ask_columns:
        table.require_columns()
    batch = ReferralImport(
        created_by=manager.id, created_at=now(), filename=filename[:255] or "table",
        file_sha256=hashlib.sha256(content).hexdigest(), encoding=table.encoding, delimiter=table.delimiter,
        status=m.PREVIEW, total=0, valid=0, done=0, counts={}, base_url=base_url,
    )  # fmt: skip
    session.add(batch)
    session.flush()
    _store_rows(session, batch, table)
    audit.record(session, "referral_import_previewed", actor_id=manager.id, ip=ip, object_type="referral_import",
                 object_id=batch.id, filename=batch.filename, rows=batch.total, valid=batch.valid)
    return batch


def _store_rows(session: Session, batch: ReferralImport, table: Table) -> None:
    """The table's rows, checked when every required column is known (else kept as written, unchecked)."""
    batch.header_line, batch.headers = table.header_line, list(table.headers)
    batch.columns = {str(i): f for i, f in sorted(table.columns.items())}
    session.execute(delete(ReferralRow).where(ReferralRow.import_id == batch.id).execution_options(synchronize_session=False))
    if table.missing:
        batch.status, batch.total, batch.valid = m.COLUMNS, len(table.lines), 0
        session.execute(ReferralRow.__table__.insert(), [
            {"import_id": batch.id, "line": r.line, "cells": list(r.source), "raw": {}, "values": {}, "errors": {},
             "status": m.INVALID, "fingerprint": "", "patient_outcome": ""}
            for r in table.rows
        ])  # fmt: skip
        return
    rows = table.rows
    checked = validate_rows(rows, known_institutions(session), known_target(session))
    batch.status, batch.total, batch.valid = m.PREVIEW, len(checked), sum(1 for r in checked if r.ok)
    session.execute(
        ReferralRow.__table__.insert(),
        [
            {"import_id": batch.id, "line": r.line, "cells": list(source.source), "raw": r.raw, "values": r.values,
             "errors": r.errors, "status": m.PENDING if r.ok else m.INVALID,
             "fingerprint": fingerprint(r.values) if r.ok else "", "patient_outcome": ""}
            for r, source in zip(checked, rows, strict=True)
        ],
    )  # fmt: skip


def table_of(session: Session, batch: ReferralImport) -> Table:
    """The stored table as read from the file, with its current columns."""
    lines = session.execute(select(ReferralRow.line, ReferralRow.cells).where(ReferralRow.import_id == batch.id)
                            .order_by(ReferralRow.line)).all()  # fmt: skip
    return Table(batch.encoding, batch.delimiter, batch.header_line, tuple(batch.headers),
                 tuple((line, tuple(cells)) for line, cells in lines),
                 {int(i): f for i, f in (batch.columns or {}).items()})  # fmt: skip


def set_columns(session: Session, user: User, import_id: int, columns: Columns, *, ip: str = "") -> ReferralImport:
    """The manager's choice of field per column: the rows are checked again with it and the choice is
    remembered for the table's institution and header set. Only before the import starts."""
    batch = get_import(session, user, import_id)
    if batch.status not in (m.COLUMNS, m.PREVIEW):
        raise Conflict(N_("This import has already been started."))
    chosen = [f for f in columns.values() if f]
    if any(f not in MAPPABLE for f in chosen) or any(i < 0 or i >= len(batch.headers) for i in columns):
        raise UserError(N_("Choose a field from the list for each column."))
    if len(chosen) != len(set(chosen)):
        raise UserError(N_("Each field can be given to one column only."))
    table = table_of(session, batch).with_columns({i: f for i, f in columns.items() if f})
    table.require_columns()
    _store_rows(session, batch, table)
    mapping.remember(session, user.id, table)
    audit.record(session, "referral_import_columns_set", actor_id=user.id, ip=ip, object_type="referral_import",
                 object_id=batch.id, columns=batch.columns, valid=batch.valid)
    return batch


def get_import(session: Session, user: User, import_id: int) -> ReferralImport:
    """An import its manager (or an admin) may see; anyone else gets "no such import"."""
    batch = session.get(ReferralImport, import_id)
    if batch is None or not (batch.created_by == user.id or user.has_role(roles.ADMIN)):
        raise NotFound(N_("There is no such import."))
    return batch


def imports_of(session: Session, user: User, limit: int = 20) -> list[ReferralImport]:
    """The user's own imports, newest first."""
    query = select(ReferralImport).where(ReferralImport.created_by == user.id)
    return list(session.scalars(query.order_by(ReferralImport.id.desc()).limit(limit)))


def earlier_imports_of_file(session: Session, batch: ReferralImport) -> list[ReferralImport]:
    return list(session.scalars(
        select(ReferralImport).where(ReferralImport.file_sha256 == batch.file_sha256, ReferralImport.id != batch.id,
                                     ReferralImport.status.in_((m.DONE, m.RUNNING, m.QUEUED, m.FAILED)))
        .order_by(ReferralImport.id)
    ))  # fmt: skip


def queue_import(session: Session, user: User, import_id: int, *, ip: str = "") -> ReferralImport:
    """The manager imports the good rows (or runs a failed import again)."""
    batch = get_import(session, user, import_id)
    if batch.status == m.COLUMNS:
        raise Conflict(N_("Say which column is which first."))
    if batch.status not in (m.PREVIEW, m.FAILED):
        raise Conflict(N_("This import has already been started."))
    if batch.valid == 0:
        raise Conflict(N_("The table has no rows without errors; there is nothing to import."))
    batch.status, batch.queued_at, batch.error = m.QUEUED, now(), None
    audit.record(session, "referral_import_started", actor_id=user.id, ip=ip, object_type="referral_import",
                 object_id=batch.id, rows=batch.valid)
    return batch


def runnable_imports(session: Session) -> list[int]:
    """Imports waiting for a runner: queued, or running under a lease that ran out (the runner died)."""
    stale = (ReferralImport.status == m.RUNNING) & (ReferralImport.lease_until < now())
    return list(session.scalars(
        select(ReferralImport.id).where((ReferralImport.status == m.QUEUED) | stale).order_by(ReferralImport.id)
    ))  # fmt: skip


def _claim(factory: SessionFactory, import_id: int) -> bool:
    T = ReferralImport
    with transaction(factory) as session:
        claimable = (T.status.in_((m.QUEUED, m.FAILED))) | ((T.status == m.RUNNING) & (T.lease_until < now()))
        result = session.execute(
            update(T).where(T.id == import_id, claimable)
            .values(status=m.RUNNING, lease_until=now() + LEASE, started_at=func.coalesce(T.started_at, now()),
                    error=None)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        return result.rowcount == 1


def _actor(user: User) -> Actor:
    names = frozenset(user.role_names)
    return Actor(user_id=user.id, roles=names, groups=frozenset(f"role:{r}" for r in names))


Progress = Callable[[int, int], None]


def run_import(
    factory: SessionFactory,
    import_id: int,
    *,
    connectors: ConnectorRegistry | None,
    sms: bool,
    locale: str = "ru",
    chunk: int = CHUNK,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Process every pending row of a queued import; returns the report counts. See the module docstring."""
    if not _claim(factory, import_id):
        with factory() as session:
            batch = session.get(ReferralImport, import_id)
            if batch is None:
                raise NotFound(N_("There is no such import."))
            if batch.status == m.DONE:
                return dict(batch.counts)
        raise Conflict(N_("This import is being run by another process."))
    run_started = now()
    try:
        while True:
            with transaction(factory) as session:
                ids = list(session.scalars(
                    select(ReferralRow.id).where(ReferralRow.import_id == import_id,
                                                 ReferralRow.status.in_((m.PENDING, m.PATIENT_READY)))
                    .order_by(ReferralRow.line).limit(chunk)
                ))  # fmt: skip
            if not ids:
                break
            _prepare_patients(factory, import_id, ids, sms=sms, locale=locale)
            _start_pathways(factory, import_id, ids, connectors, run_started)
            done, total, _ = _record_progress(factory, import_id, final=False)
            if progress is not None:
                progress(done, total)
        return _record_progress(factory, import_id, final=True)[2]
    except Exception as exc:
        with transaction(factory) as session:
            session.execute(update(ReferralImport).where(ReferralImport.id == import_id)
                            .values(status=m.FAILED, lease_until=None, error=f"{exc.__class__.__name__}: {exc}"[:2000]))
        raise


def _prepare_patients(factory: SessionFactory, import_id: int, ids: list[int], *, sms: bool, locale: str) -> None:
    """Phase A for one chunk, all or nothing. A clash with another writer (an email or SNILS taken in
    between) fails the chunk's transaction; it is then redone row by row, so only that row is skipped."""
    # Each reads the rows, then writes: the write lock up front (engine.db.writing_session).
    try:
        with transaction(factory, immediate=True) as session:
            _prepare_rows(session, import_id, ids, sms=sms, locale=locale)
    except IntegrityError:
        for row_id in ids:
            try:
                with transaction(factory, immediate=True) as session:
                    _prepare_rows(session, import_id, [row_id], sms=sms, locale=locale)
            except IntegrityError:
                with transaction(factory) as session:
                    session.execute(update(ReferralRow).where(ReferralRow.id == row_id, ReferralRow.status == m.PENDING)
                                    .values(status=m.SKIPPED, message=[N_("The account could not be created: its email or SNILS was taken meanwhile."), {}]))


def _prepare_rows(session: Session, import_id: int, ids: list[int], *, sms: bool, locale: str) -> None:
    batch = session.get(ReferralImport, import_id)
    assert batch is not None
    manager = session.get(User, batch.created_by)
    rows = list(session.scalars(
        select(ReferralRow).where(ReferralRow.id.in_(ids), ReferralRow.status == m.PENDING).order_by(ReferralRow.line)
    ))  # fmt: skip
    if not rows:
        return
    if manager is None or not manager.has_role(*roles.ACCOUNT_CREATORS):
        for row in rows:
            row.status, row.message = m.SKIPPED, [N_("The manager who uploaded the table may no longer create accounts."), {}]
        return
    outcomes = ensure_patients(session, manager, [row.values for row in rows], base_url=batch.base_url,
                               locale=locale, sms=sms)  # fmt: skip
    referred = _already_referred(session, [o.user.id for o in outcomes if o.user is not None and o.user.id])
    requested = now()
    for row, outcome in zip(rows, outcomes, strict=True):
        if outcome.user is None:
            row.status, row.message = m.SKIPPED, outcome.reason
            continue
        row.patient_id, row.patient_outcome = outcome.user.id, outcome.result
        earlier = referred.get((outcome.user.id, row.fingerprint))
        if earlier is not None:
            row.status = m.SKIPPED
            row.message = [N_("Already referred with this diagnosis (import %(import)s, row %(line)s)."),
                           {"import": earlier[0], "line": earlier[1]}]
            continue
        referred[(outcome.user.id, row.fingerprint)] = (import_id, row.line)
        row.status, row.start_requested_at = m.PATIENT_READY, requested


def _already_referred(session: Session, patients: list[int]) -> dict[tuple[int, str], tuple[int, int]]:
    if not patients:
        return {}
    R = ReferralRow
    found = session.execute(
        select(R.patient_id, R.fingerprint, R.import_id, R.line)
        .where(R.patient_id.in_(set(patients)), R.status.in_((m.PATIENT_READY, m.STARTED)))
    ).all()  # fmt: skip
    return {(p, f): (i, line) for p, f, i, line in found}


def _start_pathways(
    factory: SessionFactory, import_id: int, ids: list[int], connectors: ConnectorRegistry | None, run_started: Any
) -> None:
    """Phase B: the chunk's instances start in one engine transaction; their ids are recorded once per chunk (a crash before
    that is covered by adoption: see the module docstring)."""
    with factory() as session:
        batch = session.get(ReferralImport, import_id)
        assert batch is not None
        manager = session.get(User, batch.created_by)
        assert manager is not None
        actor = _actor(manager)
        rows = list(session.scalars(
            select(ReferralRow).where(ReferralRow.id.in_(ids), ReferralRow.status == m.PATIENT_READY).order_by(ReferralRow.line)
        ))  # fmt: skip
        session.expunge_all()
    started: list[dict[str, int]] = []
    try:
        fresh = []
        for row in rows:
            # Only a row prepared by an earlier run can have an instance whose id was never recorded.
            earlier = row.start_requested_at is not None and row.start_requested_at <= run_started
            instance_id = _adoptable_instance(factory, row, manager.id) if earlier else None
            if instance_id is None:
                fresh.append(row)
            else:
                started.append({"row_id": row.id, "instance_id": instance_id})
        # The chunk's new instances start in one engine transaction, all or none (see start_instances).
        items = [(referral_data(row, manager.id), row.patient_id) for row in fresh]
        ids = start_instances(factory, MODEL_ID, actor, items, connectors=connectors)
        started.extend({"row_id": row.id, "instance_id": iid} for row, iid in zip(fresh, ids, strict=True))
    finally:
        if started:  # what was started before a failure is recorded, so the rerun need not adopt it
            with transaction(factory) as session:
                session.connection().execute(
                    update(ReferralRow.__table__).where(ReferralRow.__table__.c.id == bindparam("row_id"))
                    .values(status=m.STARTED, instance_id=bindparam("instance_id")),
                    started,
                )  # fmt: skip


def referral_data(row: ReferralRow, manager_id: int) -> dict[str, Any]:
    """The start data of consultation_referral: the contract in engine/referrals/__init__.py."""
    v = row.values
    return {
        "patient_id": row.patient_id, "referral_id": row.id, "diagnosis_code": v.get("diagnosis_code", ""),
        "diagnosis_text": v.get("diagnosis_text", ""), "target": v.get("target", ""), "manager_id": manager_id,
        "referring_institution": v.get("institution", ""), "attending_doctor": v.get("attending_doctor", ""),
        "comment": v.get("comment", ""),
    }  # fmt: skip


def _adoptable_instance(factory: SessionFactory, row: ReferralRow, manager_id: int) -> int | None:
    """An instance this row started before a crash kept it from recording the id (see module docstring)."""
    if row.start_requested_at is None:
        return None
    P = ProcessInstance
    with factory() as session:
        taken = select(ReferralRow.instance_id).where(ReferralRow.instance_id.is_not(None),
                                                      ReferralRow.patient_id == row.patient_id)
        return session.scalar(
            select(P.id).where(P.process_model_id == MODEL_ID, P.patient_id == row.patient_id,
                               P.started_by == manager_id, P.created_at >= row.start_requested_at,
                               P.id.not_in(taken)).order_by(P.id).limit(1)
        )  # fmt: skip


def counts(session: Session, import_id: int) -> dict[str, int]:
    R = ReferralRow
    result = {"rows": 0, "invalid": 0, "created": 0, "updated": 0, "matched": 0, "started": 0, "skipped": 0, "pending": 0}
    for status, outcome, n in session.execute(
        select(R.status, R.patient_outcome, func.count()).where(R.import_id == import_id).group_by(R.status, R.patient_outcome)
    ):
        result["rows"] += n
        if status == m.INVALID:
            result["invalid"] += n
        elif status == m.STARTED:
            result["started"] += n
        elif status == m.SKIPPED:
            result["skipped"] += n
        else:
            result["pending"] += n
        if outcome in (m.CREATED, m.UPDATED, m.MATCHED):
            result[outcome] += n
    return result


def _record_progress(factory: SessionFactory, import_id: int, *, final: bool) -> tuple[int, int, dict[str, int]]:
    with transaction(factory, immediate=True) as session:  # counts, then writes them: the write lock up front
        c = counts(session, import_id)
        done = c["started"] + c["skipped"]
        values: dict[str, Any] = {"done": done, "counts": c, "lease_until": now() + LEASE}
        if final:
            values.update(status=m.DONE, finished_at=now(), lease_until=None)
        session.execute(update(ReferralImport).where(ReferralImport.id == import_id).values(**values))
        valid = c["rows"] - c["invalid"]
    return done, valid, c


def rows_of(session: Session, import_id: int, *, statuses: Iterable[str] | None = None, limit: int | None = None) -> list[ReferralRow]:
    query = select(ReferralRow).where(ReferralRow.import_id == import_id)
    if statuses is not None:
        query = query.where(ReferralRow.status.in_(tuple(statuses)))
    query = query.order_by(ReferralRow.line)
    return list(session.scalars(query.limit(limit) if limit else query))
