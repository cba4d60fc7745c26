"""Throughput of the engine with persistence after every step vs SpiffWorkflow alone, in memory.

A route of 4 user tasks, an exclusive gateway and a one-hour timer, walked start to end by N instances:
once through engine.workflow (SQLite in WAL mode in a temp folder, one transaction per step, index
rows brought up to date every time), once as plain SpiffWorkflow objects in this process (same spec classes, the
stock script engine, no database). Prints instances/s for both and their ratio; the engine is walked
with the time and memory limits of pathway code on and off (engine/workflow/limits.py), and the cost of
one evaluation under each is printed, beside a round trip to a sandbox worker process (the alternative
that limits.py's docstring weighs). Run:
    .venv/bin/python bench/engine.py --n 300 [--repeat 3] [--no-cache] [--floor]
--floor also replays the SQL the engine ran on plain sqlite3, to show what persistence alone costs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would hide the `engine`
# package; the project root goes there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

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


def run_engine(n: int, folder: Path, test_clock: clock.TestClock, record: list[Any] | None = None) -> tuple[float, float]:
    connect_args: dict[str, Any] = {"timeout": 30, "check_same_thread": False}
    if record is not None:
        connect_args["factory"] = _Recorded
    db = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}", connect_args=connect_args)
    create_all(db)
    sessions = make_session_factory(db)
    with transaction(sessions) as session:
        deploy_model(session, "route", {"route.bpmn": ROUTE})
    if record is not None:
        db.dispose()
        shutil.copy(folder / "bench.sqlite3", folder / "replay.sqlite3")
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
    assert fire_due_timers(sessions, limit=n) == n
    for instance_id in ids:
        walk(instance_id)
    rates = n / (time.perf_counter() - started), n / (time.process_time() - cpu)
    _Recorded.log = None
    db.dispose()
    return rates


def replay(folder: Path, statements: list[tuple[str, str, Any]]) -> float:
    """Seconds that plain sqlite3 takes for the statements the engine ran (same SQL, parameters, order
    and transactions, on a copy of the database as it was before the walk): what persistence costs with
    no Python of ours around it. Pragmas as engine.db sets them."""
    conn = sqlite3.connect(folder / "replay.sqlite3", isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    work = [(kind, sql, parameters) for kind, sql, parameters in statements if not sql.startswith("PRAGMA")]
    started = time.perf_counter()
    for kind, sql, parameters in work:
        if kind == "one":
            conn.execute(sql, parameters).fetchall()
        elif kind == "many":
            conn.executemany(sql, parameters)
        elif kind == "commit":
            conn.commit()
        else:
            conn.rollback()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


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


def run_engine_limits(n: int, test_clock: clock.TestClock, budgeted: bool) -> tuple[float, float]:
    limits.LIMITS.enabled = budgeted
    try:
        with tempfile.TemporaryDirectory() as folder:
            return run_engine(n, Path(folder), test_clock)
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
        help="also replay the engine's SQL on plain sqlite3 and print what persistence alone costs",
    )  # fmt: skip
    args = options.parse_args()
    n = args.n
    if args.no_cache:
        WORKFLOWS.resize(0)
    test_clock = clock.TestClock()
    clock.use(test_clock)
    print(f"instances walked: {n} (4 user tasks, a gateway, a timer; 6 engine steps each); "
          f"workflow cache {'off' if args.no_cache else 'on'}; load average {_load()}")  # fmt: skip
    # Wall-clock rates are the target; CPU-time rates are printed too, because on a shared machine the
    # wall clock also counts the time other processes held the CPU.
    print("run  raw inst/s (wall/cpu)   engine inst/s (wall/cpu)   ratio wall   ratio cpu   "
          "limits off inst/s (wall/cpu)   on/off wall   on/off cpu")  # fmt: skip
    try:
        for run in range(1, args.repeat + 1):
            raw = run_raw(n, test_clock)
            off = run_engine_limits(n, test_clock, budgeted=False)
            ours = run_engine_limits(n, test_clock, budgeted=True)
            sql_seconds = None
            if args.floor:  # a separate walk, so that recording does not slow the one measured above
                record: list[Any] = []
                with tempfile.TemporaryDirectory() as folder:
                    run_engine(n, Path(folder), test_clock, record)
                    sql_seconds = replay(Path(folder), record)
            print(f"{run:>3}  {raw[0]:8.1f} / {raw[1]:8.1f}    {ours[0]:8.1f} / {ours[1]:8.1f}        "
                  f"{ours[0] / raw[0]:6.2f}      {ours[1] / raw[1]:6.2f}      {off[0]:8.1f} / {off[1]:8.1f}"
                  f"           {ours[0] / off[0]:6.2f}        {ours[1] / off[1]:6.2f}   (target >= 0.5; on/off >= 0.9)")  # fmt: skip
            if sql_seconds is not None:
                raw_ms, sql_ms = 1000 / raw[0], sql_seconds * 1000 / n
                print(f"     floor: the engine's SQL alone on plain sqlite3 takes {sql_ms:.3f} ms per instance, "
                      f"{sql_ms / raw_ms:.2f}x raw SpiffWorkflow's {raw_ms:.3f} ms; even with nothing else the "
                      f"ratio could not pass {raw_ms / (raw_ms + sql_ms):.2f}")  # fmt: skip
        on, plain = per_evaluation_us(True), per_evaluation_us(False)
        print(f"per evaluation, limits on / off: expression {on[0]:.2f} / {plain[0]:.2f} µs "
              f"(+{on[0] - plain[0]:.2f}), script {on[1]:.2f} / {plain[1]:.2f} µs (+{on[1] - plain[1]:.2f}); "
              f"a sandbox worker process would add a round trip of {pool_round_trip_us():.1f} µs per evaluation")  # fmt: skip
    finally:
        clock.reset()


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 1)[0]
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
