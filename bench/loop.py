"""Step cost as a pathway's history grows: one instance looping through a user task and a script task.

For the engine (SQLite in WAL mode in a temp folder, or PostgreSQL in a schema of its own; workflow cache
on or off) and for raw SpiffWorkflow in memory (same spec, stock `get_next_task`/`do_engine_steps`), at
each checkpoint of loop iterations done: the stored state's size, the median of 10 steps (one step =
complete the user task, the script runs, the loop comes back to the user task) and, for the engine, the
time to load the instance with nothing cached. Run:
    .venv/bin/python bench/loop.py [--db sqlite|postgres] [--upto 2000] [--no-cache] [--no-raw]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sqlalchemy import bindparam, inspect, select, text  # noqa: E402

from engine.db import create_all, make_engine, make_session_factory, transaction  # noqa: E402
from engine.workflow import Actor, complete_task, deploy_model, start_instance  # noqa: E402
from engine.workflow.cache import WORKFLOWS  # noqa: E402
from engine.workflow.models import PendingTask, ProcessInstance  # noqa: E402

LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="bench">
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:laneSet id="LS">
      <bpmn:lane id="L_patient" name="patient"><bpmn:flowNodeRef>attend</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="init"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>count = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="again"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="attend" name="Attend a class"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:scriptTask id="tally"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:script>count = count + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init" />
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="again" />
    <bpmn:sequenceFlow id="f3" sourceRef="again" targetRef="attend" />
    <bpmn:sequenceFlow id="f4" sourceRef="attend" targetRef="tally" />
    <bpmn:sequenceFlow id="f5" sourceRef="tally" targetRef="again" />
  </bpmn:process>
</bpmn:definitions>
"""
PATIENT = Actor(1, frozenset({"patient"}))
ANSWER = {"attended": True, "pain": 2}
CHECKPOINTS = (10, 100, 500, 1000, 2000)
SAMPLES = 10


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class EngineLoop:
    def __init__(self, url: str, connect_args: dict[str, Any] | None = None) -> None:
        self.db = make_engine(url, **({"connect_args": connect_args} if connect_args else {}))
        create_all(self.db)
        self.sessions = make_session_factory(self.db)
        with transaction(self.sessions) as session:
            deploy_model(session, "loop", {"loop.bpmn": LOOP})
        self.iid = start_instance(self.sessions, "loop", PATIENT, {}, patient_id=1)
        self._find = select(PendingTask.task_guid).where(PendingTask.instance_id == bindparam("iid"))

    def step(self) -> tuple[float, float]:
        with self.db.connect() as conn:
            guid = conn.execute(self._find, {"iid": self.iid}).scalar_one()
        started, cpu = time.perf_counter(), time.process_time()
        complete_task(self.sessions, PATIENT, self.iid, guid, ANSWER)
        return time.perf_counter() - started, time.process_time() - cpu

    def state_bytes(self) -> int:
        """What the instance's state takes in the database: the instance row's state, plus the task rows
        loaded with it where the storage has them."""
        with self.db.connect() as conn:
            size = len(
                conn.execute(select(ProcessInstance.state).where(ProcessInstance.id == self.iid)).scalar_one()
            )
            if inspect(conn).has_table("process_task"):
                size += conn.execute(
                    text("SELECT COALESCE(SUM(LENGTH(body)), 0) FROM process_task WHERE instance_id = :i"),
                    {"i": self.iid},
                ).scalar_one()
        return size

    def load_ms(self) -> float:
        """An uncached load (row, spec from the spec cache, state deserialized): median of 5 after one
        warm-up (the first compiles the statements), in ms."""
        self._load_once()
        return statistics.median(self._load_once() for _ in range(5)) * 1000

    def _load_once(self) -> float:
        from engine.workflow import rawsql, spiff, steps

        with self.db.connect() as conn:
            cur = rawsql.cursor(conn)
            started = time.perf_counter()
            instance = steps.InstanceRow(
                *rawsql.fetch_all(conn, cur, steps.RAW_LOAD, {"instance_id": self.iid})[0]
            )
            specs = steps.specs_for(conn, instance)
            try:
                from engine.workflow import persistence
            except ImportError:  # the one-blob storage
                spiff.load_state(instance.state, specs, spiff.IDLE_ENGINE)
            else:
                persistence.load(conn, cur, instance.id, instance.state, specs, spiff.IDLE_ENGINE)
            elapsed = time.perf_counter() - started
            conn.rollback()
        return elapsed

    def close(self) -> None:
        self.db.dispose()


class RawLoop:
    """The same loop as SpiffWorkflow objects in memory, driven by its own calls."""

    def __init__(self) -> None:
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

        from engine.workflow import spiff

        parser = spiff.make_parser({"loop.bpmn": spiff.parse_xml(LOOP)})
        specs = (parser.get_spec("loop"), parser.get_subprocess_specs("loop"))
        self.workflow = spiff.new_workflow(specs, PythonScriptEngine())
        self.workflow.do_engine_steps()
        self.broken: str | None = None
        self.done = 0

    def step(self) -> tuple[float, float]:
        from SpiffWorkflow.util.task import TaskState

        started, cpu = time.perf_counter(), time.process_time()
        try:
            task = self.workflow.get_next_task(state=TaskState.READY, manual=True)
            if task is None:
                raise LookupError("get_next_task finds no ready task")
            task.set_data(**ANSWER)
            task.run()
            self.workflow.do_engine_steps()
        except (RecursionError, LookupError) as exc:
            self.broken = f"after {self.done} iterations, {exc.__class__.__name__}: {str(exc)[:60]}"
            raise
        self.done += 1
        return time.perf_counter() - started, time.process_time() - cpu

    def state_bytes(self) -> int:
        from engine.workflow import spiff

        return len(spiff.dump_state(self.workflow))


def walk(
    loop: Any, upto: int, checkpoints: tuple[int, ...], loads: bool
) -> Iterator[tuple[int, int, float, float, float | None]]:
    """(iterations, state bytes, median step ms wall, and CPU, uncached load ms) at each checkpoint, as
    reached. CPU time is printed too: on a shared machine the wall clock also counts others' turns."""
    done = 0
    for checkpoint in [c for c in checkpoints if c <= upto]:
        while done < checkpoint - SAMPLES:
            loop.step()
            done += 1
        samples = [loop.step() for _ in range(checkpoint - done)]
        done = checkpoint
        load = loop.load_ms() if loads else None
        walls, cpus = [w for w, _c in samples], [c for _w, c in samples]
        yield checkpoint, loop.state_bytes(), _median_ms(walls), _median_ms(cpus), load


def _postgres_url(base: str) -> tuple[str, str]:
    schema = f"carepath_loop_{uuid.uuid4().hex[:8]}"
    return schema, base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    options.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    options.add_argument("--upto", type=int, default=2000, help="loop iterations to walk (default 2000)")
    options.add_argument(
        "--no-cache", action="store_true", help="workflow cache off: every step loads the instance"
    )
    options.add_argument("--no-raw", action="store_true", help="skip raw SpiffWorkflow")
    options.add_argument("--samples", type=int, default=10, help="steps per checkpoint (default 10)")
    args = options.parse_args()
    global SAMPLES
    SAMPLES = args.samples
    if args.no_cache:
        WORKFLOWS.resize(0)
    print(f"load average {Path('/proc/loadavg').read_text().split(' ', 1)[0]}; {args.db}; "
          f"workflow cache {'off' if args.no_cache else 'on'}; one step = median of {SAMPLES}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        admin = None
        if args.db == "sqlite":
            loop = EngineLoop(f"sqlite:///{Path(folder) / 'loop.sqlite3'}")
        else:
            admin = make_engine(args.postgres_url)
            schema, url = _postgres_url(args.postgres_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            loop = EngineLoop(url)
        try:
            print("engine:  iterations   state size   one step (wall / cpu)   uncached load")
            for n, size, step_ms, cpu_ms, load_ms in walk(loop, args.upto, CHECKPOINTS, loads=True):
                print(f"         {n:>10,}   {size / 1024:7.0f} KB   {step_ms:6.2f} / {cpu_ms:6.2f} ms      "
                      f"{load_ms:6.2f} ms", flush=True)  # fmt: skip
        finally:
            loop.close()
            if admin is not None:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    if args.no_raw:
        return
    raw = RawLoop()
    print("raw SpiffWorkflow in memory:  iterations   state size   one step (wall / cpu)")
    try:
        for n, size, step_ms, cpu_ms, _load in walk(raw, args.upto, CHECKPOINTS, loads=False):
            print(f"                              {n:>10,}   {size / 1024:7.0f} KB   {step_ms:6.2f} / {cpu_ms:6.2f} ms",
                  flush=True)  # fmt: skip
    except (RecursionError, LookupError):
        print(f"                              stops: {raw.broken}")


if __name__ == "__main__":
    main()
