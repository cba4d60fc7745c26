"""Throughput of the engine with persistence after every step vs SpiffWorkflow alone, in memory.

A route of 4 user tasks, an exclusive gateway and a one-hour timer, walked start to end by N instances:
once through engine.workflow (SQLite in WAL mode in a temp folder, or PostgreSQL in a schema of its own;
one transaction per step, index rows brought up to date every time), once as plain SpiffWorkflow objects
in this process (same spec classes, the stock script engine, no database). Prints instances/s for both
and their ratio; the engine is walked
with the time and memory limits of pathway code on and off (engine/workflow/limits.py), and the cost of
one evaluation under each is printed, beside a round trip to a sandbox worker process (the alternative
that limits.py's docstring weighs). Run:
    .venv/bin/python bench/engine.py --n 300 [--repeat 3] [--no-cache] [--floor] [--db postgres]
                                     [--processes 2]
--floor also replays the SQL the engine ran on the plain driver (sqlite3, psycopg), to show what
persistence alone costs; --processes 2 also walks the instances with two processes sharing the database,
as a clinic's server runs, and with --floor replays their SQL at once the same way.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would hide the `engine`
# package; the project root goes there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import psycopg  # noqa: E402
from sqlalchemy import bindparam, select  # noqa: E402

from engine import clock  # noqa: E402
from engine.db import create_all, make_engine, make_session_factory, transaction  # noqa: E402
from engine.workflow import (  # noqa: E402  # noqa: E402
    Actor,
    complete_task,
    deploy_model,
    fire_due_timers,
    limits,
    sandbox,
    start_instance,
)
from engine.workflow.cache import WORKFLOWS  # noqa: E402
from engine.workflow.models import PendingTask  # noqa: E402

ROUTE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="bench">
  <bpmn:process id="route" isExecutable="true">
    <bpmn:laneSet id="LS">
      <bpmn:lane id="L_patient" name="patient"><bpmn:flowNodeRef>apply</bpmn:flowNodeRef><bpmn:flowNodeRef>rate</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="L_doctor" name="doctor"><bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>conclude</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="apply" name="Apply"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="review" name="Review"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="verdict" default="f_no"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_yes" sourceRef="verdict" targetRef="conclude"><bpmn:conditionExpression>accepted</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="verdict" targetRef="end" />
    <bpmn:userTask id="conclude" name="Conclude"><bpmn:incoming>f_yes</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:intermediateCatchEvent id="later" name="An hour later"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition id="T"><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="rate" name="Rate"><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f_no</bpmn:incoming><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="apply" />
    <bpmn:sequenceFlow id="f2" sourceRef="apply" targetRef="review" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="verdict" />
    <bpmn:sequenceFlow id="f4" sourceRef="conclude" targetRef="later" />
    <bpmn:sequenceFlow id="f5" sourceRef="later" targetRef="rate" />
    <bpmn:sequenceFlow id="f6" sourceRef="rate" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
STEPS = {"apply": {"complaint": "cough"}, "review": {"accepted": True}, "conclude": {"text": "rest"}, "rate": {"stars": 5}}
PATIENT = Actor(1, frozenset({"patient"}))
DOCTOR = Actor(2, frozenset({"doctor"}))
ACTORS = {"apply": PATIENT, "review": DOCTOR, "conclude": DOCTOR, "rate": PATIENT}


class _Recorded(sqlite3.Connection):
    """A driver connection that notes every statement with its parameters, in order (for --floor)."""

    log: list[tuple[str, str, Any]] | None = None

    def cursor(self, factory: Any = None) -> Any:  # noqa: ARG002 - one cursor class here
        return _RecordedCursor(self)

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        return self.cursor().execute(sql, parameters)

    def commit(self) -> None:
        self._note("commit", "", None)
        super().commit()

    def rollback(self) -> None:
        self._note("rollback", "", None)
        super().rollback()

    def _note(self, kind: str, sql: str, parameters: Any) -> None:
        if _Recorded.log is not None:
            _Recorded.log.append((kind, sql, parameters))


class _RecordedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = ()) -> Any:
        self.connection._note("one", sql, parameters)  # type: ignore[attr-defined]
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq: Any) -> Any:
        seq = list(seq)
        self.connection._note("many", sql, seq)  # type: ignore[attr-defined]
        return super().executemany(sql, seq)


class _RecordedPgCursor(psycopg.Cursor):
    """A psycopg cursor that notes every statement with its parameters (for --floor on PostgreSQL)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        _note("one", query, params)
        return super().execute(query, params, **kwargs)

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        seq = list(params_seq)
        _note("many", query, seq)
        return super().executemany(query, seq, **kwargs)


class _RecordedPg(psycopg.Connection):
    def commit(self) -> None:
        _note("commit", "", None)
        super().commit()

    def rollback(self) -> None:
        _note("rollback", "", None)
        super().rollback()


def _note(kind: str, sql: Any, parameters: Any) -> None:
    if _Recorded.log is not None:
        _Recorded.log.append((kind, str(sql), parameters))


class Place:
    """Where a walk's database lives: a SQLite file in a temp folder, or a PostgreSQL schema of its own."""

    def __init__(self, db: str, postgres_url: str, folder: Path, name: str = "bench") -> None:
        self.db, self.folder, self.name = db, folder, name
        self.schema = f"carepath_bench_{uuid.uuid4().hex[:8]}"
        base = postgres_url
        self.postgres_url = base
        self.url = (
            f"sqlite:///{folder / (name + '.sqlite3')}"
            if db == "sqlite"
            else base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{self.schema}"
        )
        if db == "postgres":
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{self.schema}"')

    def engine(self, record: bool = False) -> Any:
        if self.db == "sqlite":
            connect_args: dict[str, Any] = {"timeout": 30, "check_same_thread": False}
            if record:
                connect_args["factory"] = _Recorded
            return make_engine(self.url, connect_args=connect_args)
        dsn = self.postgres_url.removeprefix("postgresql://")
        kind = _RecordedPg if record else psycopg.Connection
        options = f"-csearch_path={self.schema}"

        def creator() -> Any:
            conn = kind.connect("postgresql://" + dsn, options=options)
            if record:
                conn.cursor_factory = _RecordedPgCursor
            return conn

        return make_engine("postgresql://" + dsn, creator=creator)

    def prepare(self) -> None:
        """Schema and the deployed route: the state every walk (and every replay) starts from."""
        db = self.engine()
        create_all(db)
        with transaction(make_session_factory(db)) as session:
            deploy_model(session, "route", {"route.bpmn": ROUTE})
        db.dispose()

    def copy(self, name: str) -> Place:
        """A second database in the state this one had after `prepare` (call before the walk)."""
        other = Place(self.db, self.postgres_url, self.folder, name)
        if self.db == "sqlite":
            shutil.copy(self.folder / (self.name + ".sqlite3"), self.folder / (name + ".sqlite3"))
        else:
            other.prepare()  # the same DDL and deploy give the same ids
        return other

    def drop(self) -> None:
        if self.db == "postgres":
            with psycopg.connect(self.postgres_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')


def run_engine(
    n: int, place: Place, test_clock: clock.TestClock, record: list[Any] | None = None, shared: bool = False
) -> tuple[float, float]:
    """Walk n instances on the prepared `place`; instances/s (wall, cpu). `shared`: other processes walk
    their own instances on the same database at the same time."""
    db = place.engine(record is not None)
    sessions = make_session_factory(db)
    _Recorded.log = record
    started, cpu = time.perf_counter(), time.process_time()
    ids = [start_instance(sessions, "route", PATIENT, {"doctor_id": DOCTOR.user_id}, patient_id=1) for _ in range(n)]

    # Finding the task to complete is part of the walk (a web request gets the guid from an inbox query):
    # one indexed SELECT, built once, as the web layer's Core queries are.
    find = select(PendingTask.task_guid, PendingTask.task_name).where(PendingTask.instance_id == bindparam("iid"))

    def walk(instance_id: int) -> None:
        with db.connect() as conn:
            row = conn.execute(find, {"iid": instance_id}).one()
        complete_task(sessions, ACTORS[row.task_name], instance_id, row.task_guid, STEPS[row.task_name])

    for instance_id in ids:
        for _ in ("apply", "review", "conclude"):
            walk(instance_id)
    test_clock.advance(hours=1, seconds=1)
    fired = fire_due_timers(sessions, limit=10 * n)
    assert shared or fired == n  # with other walkers at once, each fires whichever timers are due
    for instance_id in ids:
        with db.connect() as conn:
            if conn.execute(find, {"iid": instance_id}).one_or_none() is None:
                continue  # its timer is still to come in another walker's clock: it fires it
        walk(instance_id)
    rates = n / (time.perf_counter() - started), n / (time.process_time() - cpu)
    _Recorded.log = None
    db.dispose()
    return rates


def replay(place: Place, statements: list[tuple[str, str, Any]], concurrent: bool = False) -> tuple[float, float]:
    """(wall, cpu) seconds that the plain driver takes for the statements the engine ran (same SQL,
    parameters, order and transactions, on a database as it was before the walk): what persistence costs
    with no Python of ours around it. SQLite with the pragmas engine.db sets."""
    work = [(kind, sql, parameters) for kind, sql, parameters in statements if not sql.startswith("PRAGMA")]
    if place.db == "sqlite":
        conn: Any = sqlite3.connect(place.folder / (place.name + ".sqlite3"), isolation_level=None, timeout=30)
        keys = "OFF" if concurrent else "ON"
        for pragma in ("journal_mode=WAL", f"foreign_keys={keys}", "synchronous=NORMAL", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        run_one = lambda sql, parameters: conn.execute(sql, parameters).fetchall()  # noqa: E731
    else:
        conn = psycopg.connect(place.postgres_url, options=f"-csearch_path={place.schema}")
        cur = conn.cursor()
        if concurrent:
            cur.execute("SET session_replication_role = replica")  # no foreign key triggers
            conn.commit()

        def run_one(sql: str, parameters: Any) -> None:
            cur.execute(sql, parameters)
            if cur.description is not None:
                cur.fetchall()

    started, cpu = time.perf_counter(), time.process_time()
    for kind, sql, parameters in work:
        if kind == "one":
            run_one(sql, parameters)
        elif kind == "many":
            (conn if place.db == "sqlite" else cur).executemany(sql, parameters)
        elif kind == "commit":
            conn.commit()
        else:
            conn.rollback()
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return elapsed


def _walker(args: tuple[Any, ...]) -> tuple[tuple[float, float], list[Any]]:
    """One process of a walk shared by several: its own clock, caches and connections."""
    n, place, record = args
    test_clock = clock.TestClock()
    clock.use(test_clock)
    log: list[Any] | None = [] if record else None
    rates = run_engine(n, place, test_clock, log, shared=True)
    return rates, log or []


def _replayer(args: tuple[Place, list[Any]]) -> tuple[float, float]:
    return replay(*args, concurrent=True)


def walk_shared(n: int, place: Place, processes: int, record: bool) -> tuple[float, list[list[Any]]]:
    """n instances walked by `processes` processes at once on one database: instances/s (wall) and each
    process's statements when recording."""
    share = n // processes
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        started = time.perf_counter()
        results = pool.map(_walker, [(share, place, record)] * processes)
        elapsed = time.perf_counter() - started
    return share * processes / elapsed, [log for _rates, log in results]


def replay_shared(place: Place, logs: list[list[Any]]) -> float:
    """Wall seconds for the processes' statements replayed at once, one replaying process each."""
    with multiprocessing.get_context("fork").Pool(len(logs)) as pool:
        started = time.perf_counter()
        pool.map(_replayer, [(place, log) for log in logs])
        return time.perf_counter() - started


def run_raw(n: int, test_clock: clock.TestClock) -> tuple[float, float]:
    # The baseline is SpiffWorkflow itself, so this is the one module outside engine/workflow importing it.
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
    from SpiffWorkflow.util.task import TaskState

    from engine.workflow import spiff

    parser = spiff.make_parser({"route.bpmn": spiff.parse_xml(ROUTE)})
    specs = (parser.get_spec("route"), parser.get_subprocess_specs("route"))
    engine = PythonScriptEngine()
    started, cpu = time.perf_counter(), time.process_time()
    workflows = []
    for _ in range(n):
        workflow = spiff.new_workflow(specs, engine)
        workflow.do_engine_steps()
        for _ in range(3):
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.set_data(**STEPS[task.task_spec.name])
            task.run()
            workflow.do_engine_steps()
        workflows.append(workflow)
    test_clock.advance(hours=1, seconds=1)
    for workflow in workflows:
        workflow.refresh_timers()
        workflow.do_engine_steps()
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        task.set_data(**STEPS[task.task_spec.name])
        task.run()
        workflow.do_engine_steps()
        assert workflow.completed
    return n / (time.perf_counter() - started), n / (time.process_time() - cpu)


# What pathways evaluate most: a gateway condition, and a short script over task data.
EXPRESSION, SCRIPT = "accepted and score >= 3", "total = score * 2 + len(notes)\nlabel = 'high' if total > 5 else 'low'"
CONTEXT = {"accepted": True, "score": 4, "notes": "ok"}


def per_evaluation_us(budgeted: bool, rounds: int = 20000) -> tuple[float, float]:
    """µs per evaluation of EXPRESSION and per execution of SCRIPT, with the limits on or off."""
    limits.LIMITS.enabled = budgeted
    try:
        sandbox.evaluate(EXPRESSION, CONTEXT)
        started = time.perf_counter()
        for _ in range(rounds):
            sandbox.evaluate(EXPRESSION, CONTEXT)
        expression = (time.perf_counter() - started) / rounds * 1e6
        started = time.perf_counter()
        for _ in range(rounds):
            sandbox.execute(SCRIPT, dict(CONTEXT))
        script = (time.perf_counter() - started) / rounds * 1e6
    finally:
        limits.LIMITS.enabled = True
    return expression, script


def _pool_worker(conn: Any) -> None:
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(sandbox.evaluate(job[0], job[1]))


def pool_round_trip_us(rounds: int = 5000) -> float:
    """µs per evaluation sent to a warm sandbox process over a pipe (the process-pool alternative)."""
    parent, child = multiprocessing.Pipe()
    worker = multiprocessing.get_context("fork").Process(target=_pool_worker, args=(child,), daemon=True)
    worker.start()
    try:
        parent.send((EXPRESSION, CONTEXT))
        parent.recv()
        started = time.perf_counter()
        for _ in range(rounds):
            parent.send((EXPRESSION, CONTEXT))
            parent.recv()
        return (time.perf_counter() - started) / rounds * 1e6
    finally:
        parent.send(None)
        worker.join(timeout=5)


def run_engine_limits(n: int, place: Place, test_clock: clock.TestClock, budgeted: bool) -> tuple[float, float]:
    limits.LIMITS.enabled = budgeted
    try:
        return run_engine(n, place, test_clock)
    finally:
        limits.LIMITS.enabled = True


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--n", type=int, default=300, help="instances to walk (default 300)")
    options.add_argument("--repeat", type=int, default=1, help="runs of both sides (default 1)")
    options.add_argument(
        "--no-cache", action="store_true", help="switch the workflow cache off, as for steps that alternate between processes"
    )
    options.add_argument(
        "--floor", action="store_true",
        help="also replay the engine's SQL on the plain driver and print what persistence alone costs",
    )  # fmt: skip
    options.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    options.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    options.add_argument(
        "--processes", type=int, default=1, help="also walk with this many processes sharing the database (n split)"
    )
    args = options.parse_args()
    n = args.n
    if args.no_cache:
        WORKFLOWS.resize(0)
    test_clock = clock.TestClock()
    clock.use(test_clock)
    print(f"instances walked: {n} (4 user tasks, a gateway, a timer; 6 engine steps each); {args.db}; "
          f"workflow cache {'off' if args.no_cache else 'on'}; load average {_load()}")  # fmt: skip
    # Wall-clock rates are the target; CPU-time rates are printed too, because on a shared machine the
    # wall clock also counts the time other processes held the CPU.
    print("run  raw inst/s (wall/cpu)   engine inst/s (wall/cpu)   ratio wall   ratio cpu   "
          "limits off inst/s (wall/cpu)   on/off wall   on/off cpu")  # fmt: skip
    try:
        for run in range(1, args.repeat + 1):
            with tempfile.TemporaryDirectory() as folder:
                _run(run, n, args, Path(folder), test_clock)
        on, plain = per_evaluation_us(True), per_evaluation_us(False)
        print(f"per evaluation, limits on / off: expression {on[0]:.2f} / {plain[0]:.2f} µs "
              f"(+{on[0] - plain[0]:.2f}), script {on[1]:.2f} / {plain[1]:.2f} µs (+{on[1] - plain[1]:.2f}); "
              f"a sandbox worker process would add a round trip of {pool_round_trip_us():.1f} µs per evaluation")  # fmt: skip
    finally:
        clock.reset()


def _run(run: int, n: int, args: Any, folder: Path, test_clock: clock.TestClock) -> None:
    def place(name: str) -> Place:
        found = Place(args.db, args.postgres_url, folder, name)
        found.prepare()
        places.append(found)
        return found

    places: list[Place] = []
    try:
        raw = run_raw(n, test_clock)
        off = run_engine_limits(n, place("walk_limits_off"), test_clock, budgeted=False)
        ours = run_engine_limits(n, place("walk"), test_clock, budgeted=True)
        print(f"{run:>3}  {raw[0]:8.1f} / {raw[1]:8.1f}    {ours[0]:8.1f} / {ours[1]:8.1f}        "
              f"{ours[0] / raw[0]:6.2f}      {ours[1] / raw[1]:6.2f}      {off[0]:8.1f} / {off[1]:8.1f}"
              f"           {ours[0] / off[0]:6.2f}        {ours[1] / off[1]:6.2f}   (target >= 0.5; on/off >= 0.9)",
              flush=True)  # fmt: skip
        raw_ms = 1000 / raw[0]
        if args.floor:  # a separate walk, so that recording does not slow the one measured above
            record: list[Any] = []
            recorded = place("recorded")
            replica = recorded.copy("replica")
            places.append(replica)
            run_engine(n, recorded, test_clock, record)
            wall, cpu = replay(replica, record)
            sql_ms = wall * 1000 / n
            print(f"     floor: the engine's SQL alone on the plain driver takes {sql_ms:.3f} ms per instance "
                  f"({cpu * 1000 / n:.3f} ms of it CPU in this process; {_statements(record) / n:.1f} statements), "
                  f"{sql_ms / raw_ms:.2f}x raw SpiffWorkflow's {raw_ms:.3f} ms; even with nothing else the ratio "
                  f"could not pass {raw_ms / (raw_ms + sql_ms):.2f}", flush=True)  # fmt: skip
        if args.processes > 1:
            shared = place("shared")
            replica = shared.copy("shared_replica") if args.floor else None
            if replica is not None:
                places.append(replica)
            rate, logs = walk_shared(n, shared, args.processes, record=args.floor)
            print(f"     {args.processes} processes sharing the database: engine {rate:8.1f} inst/s (wall), "
                  f"{rate / raw[0]:.2f}x raw SpiffWorkflow in one process", flush=True)  # fmt: skip
            if replica is not None:
                sql_ms = replay_shared(replica, logs) * 1000 / n
                print(f"     floor with {args.processes} processes: their SQL replayed at once takes {sql_ms:.3f} ms "
                      f"per instance (wall); the ratio could not pass {raw_ms / (raw_ms + sql_ms):.2f}", flush=True)  # fmt: skip
    finally:
        for used in places:
            used.drop()


def _statements(record: list[Any]) -> int:
    return sum(1 for kind, sql, _p in record if kind in ("one", "many") and not sql.startswith("PRAGMA"))


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 1)[0]
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
