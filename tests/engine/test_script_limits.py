"""Pathway code that runs away costs its own instance, never the platform: each bad case ends in `error`
within its limit plus a margin, with the reason kept; meanwhile other people's steps and writes go on
(on SQLite nobody holds the write lock while the script runs); memory stays bounded."""

from __future__ import annotations

import resource
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from engine.audit import AuditEntry
from engine.db import transaction
from engine.i18n import Conflict, decode_message
from engine.workflow import complete_task, limits, start_instance
from tests.engine.helpers import PATIENT, instance, only_task, titles

LIMIT_SECONDS = 1.0
LIMIT_MB = 128
# A loaded 2-core machine: the step around the script (load, write) and thread switches cost some too.
MARGIN_SECONDS = 1.5

QUIET = {"SCRIPT_HERE": "x = 1", "CONDITION_HERE": "x == 2", "TIMER_HERE": '"PT1H"', "DMN_INPUT_HERE": "x"}
APPEND = "x = []\nwhile True:\n    x.append('abcdefgh' * 4)"
CASES: dict[str, tuple[dict[str, str], str | None]] = {
    "endless loop": ({"SCRIPT_HERE": "while True:\n    pass"}, limits.TIME_MESSAGE),
    "huge string": ({"SCRIPT_HERE": "x = 'x' * 10**10"}, limits.MEMORY_MESSAGE),
    "huge number": ({"SCRIPT_HERE": "x = 10**10**10"}, limits.NUMBER_MESSAGE),
    "appending loop": ({"SCRIPT_HERE": APPEND}, None),  # time or memory, whichever comes first
    "exponential recursion": (
        {"SCRIPT_HERE": "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nx = f(200)"}, limits.TIME_MESSAGE
    ),
    "comprehension over a huge range": ({"SCRIPT_HERE": "x = len([i for i in range(10**10)])"}, None),
    "sum over a huge range": ({"SCRIPT_HERE": "x = sum(range(10**13))"}, limits.TIME_MESSAGE),
    "a 50 MB value in task data": ({"SCRIPT_HERE": "x = 'x' * 50_000_000"}, limits.DATA_SIZE_MESSAGE),
    "a value that is not JSON": ({"SCRIPT_HERE": "x = {1, 2}"}, limits.DATA_TYPE_MESSAGE),
    "a script that raises": ({"SCRIPT_HERE": "x = missing_name + 1"}, None),
    "a looping gateway condition": ({"CONDITION_HERE": "sum(range(10**13)) > 0"}, limits.TIME_MESSAGE),
    "a looping timer expression": (
        {"SCRIPT_HERE": "x = 2", "TIMER_HERE": '"PT" + str(sum(range(10**13))) + "S"'}, limits.TIME_MESSAGE
    ),
    "a looping DMN expression": ({"DMN_INPUT_HERE": "sum(range(10**13))"}, limits.TIME_MESSAGE),
}


@pytest.fixture
def tight_limits() -> Iterator[None]:
    saved = (limits.LIMITS.seconds, limits.LIMITS.megabytes)
    limits.configure(LIMIT_SECONDS, LIMIT_MB)
    yield
    limits.configure(*saved)


@pytest.fixture
def runaway(deploy: Callable[..., Any]) -> Callable[[dict[str, str]], None]:
    def _deploy(replace: dict[str, str]) -> None:
        deploy("runaway", "runaway", **{**QUIET, **replace})
        deploy("runaway", "quiet", **QUIET)

    return _deploy


def _started(sessions: Any, connectors: Any, model: str) -> tuple[int, str]:
    iid = start_instance(sessions, model, PATIENT, {}, patient_id=PATIENT.user_id, connectors=connectors)
    return iid, only_task(sessions, PATIENT, iid)


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize("case", list(CASES))
def test_runaway_code_ends_its_instance_in_error_while_others_go_on(
    case, sessions, db_engine, connectors, runaway, tight_limits
):
    replace, expected = CASES[case]
    runaway(replace)
    bad_id, bad_task = _started(sessions, connectors, "runaway")
    quiet_id, quiet_task = _started(sessions, connectors, "quiet")
    outcome: dict[str, Any] = {}

    def patient_completes() -> None:
        began = time.monotonic()
        outcome["status"] = complete_task(sessions, PATIENT, bad_id, bad_task, {}, connectors=connectors)
        outcome["seconds"] = time.monotonic() - began

    rss_before = limits.resident_bytes()
    runner = threading.Thread(target=patient_completes)
    runner.start()
    time.sleep(0.2)  # the runaway code is running now (or has already been refused)
    began = time.monotonic()
    # Someone else's task, and a plain write (as a login or a booking makes), do not wait for it.
    assert complete_task(sessions, PATIENT, quiet_id, quiet_task, {}, connectors=connectors) == "waiting"
    with transaction(sessions) as session:
        session.execute(insert(AuditEntry).values(action="login", ip="127.0.0.1", actor_id=None, details={}))
    others = time.monotonic() - began
    runner.join(timeout=LIMIT_SECONDS + MARGIN_SECONDS + 5)
    assert not runner.is_alive()

    assert outcome["status"] == "error", outcome
    assert outcome["seconds"] <= LIMIT_SECONDS + MARGIN_SECONDS, outcome
    # In one process the two threads share the interpreter lock, so a busy script slows the others'
    # statements (a GIL convoy, not a database lock: gunicorn's workers are separate processes, and
    # test_no_sqlite_write_lock_is_held_while_a_script_runs checks the lock itself); the bound only says
    # they were not queued until the runaway code's end.
    assert others < LIMIT_SECONDS + MARGIN_SECONDS, f"the other person waited {others:.2f} s"
    row = instance(sessions, bad_id)
    assert row.status == "error"
    assert row.error_element in ("compute", "route", "wait", "decide")
    coded = decode_message(row.error_message)
    if expected is not None:
        assert coded is not None and coded[0] == expected, row.error_message
    else:
        assert row.error_message
    assert titles(sessions, quiet_id) == ["Done"]
    # The process did not grow past the memory limit (plus what a step and the interpreter take).
    assert _peak_rss() - rss_before <= (LIMIT_MB + 96) * 1024 * 1024


def test_no_sqlite_write_lock_is_held_while_a_script_runs(connectors, tight_limits, deploy, sessions):
    if sessions.kw["bind"].dialect.name != "sqlite":
        pytest.skip("the SQLite write lock")
    deploy("runaway", "runaway", **{**QUIET, "SCRIPT_HERE": "while True:\n    pass"})
    bad_id, bad_task = _started(sessions, connectors, "runaway")
    runner = threading.Thread(target=complete_task, args=(sessions, PATIENT, bad_id, bad_task, {}), kwargs={"connectors": connectors})
    runner.start()
    path = sessions.kw["bind"].url.database
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    # While the script loops, another writer gets the lock: tried every 50 ms (an attempt may meet the
    # step's own short writes before and after the script, never the whole run of it).
    got_lock_while_running = False
    try:
        while runner.is_alive() and not got_lock_while_running:
            time.sleep(0.05)
            try:
                other.execute("BEGIN IMMEDIATE")  # fails at once with "database is locked" if anyone holds it
            except sqlite3.OperationalError:
                continue
            got_lock_while_running = runner.is_alive()
            other.execute("ROLLBACK")
    finally:
        other.close()
    runner.join(timeout=LIMIT_SECONDS + MARGIN_SECONDS + 5)
    assert got_lock_while_running, "the write lock was held for the whole run of the script"


def test_two_people_completing_the_same_task_one_loses_with_already_completed(sessions, connectors, runaway, tight_limits):
    runaway({"SCRIPT_HERE": "while True:\n    pass"})
    bad_id, bad_task = _started(sessions, connectors, "runaway")
    results: list[Any] = []

    def complete() -> None:
        try:
            results.append(complete_task(sessions, PATIENT, bad_id, bad_task, {}, connectors=connectors))
        except Conflict as exc:
            results.append(exc.message)

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * LIMIT_SECONDS + MARGIN_SECONDS + 5)
    assert sorted(results) == sorted(["error", "This task was already completed by someone else."])


def test_a_fixed_model_runs_on_after_a_retry(sessions, connectors, runaway, tight_limits, deploy):
    from engine.workflow import retry_instance
    from tests.engine.helpers import MANAGER

    runaway({"SCRIPT_HERE": "while True:\n    pass"})
    bad_id, bad_task = _started(sessions, connectors, "runaway")
    assert complete_task(sessions, PATIENT, bad_id, bad_task, {}, connectors=connectors) == "error"
    # Still the same version: a retry runs the same loop and stops again, within the limit.
    began = time.monotonic()
    assert retry_instance(sessions, MANAGER, bad_id, connectors=connectors) == "error"
    assert time.monotonic() - began <= LIMIT_SECONDS + MARGIN_SECONDS


def test_the_limits_leave_ordinary_scripts_alone(sessions, connectors, runaway, tight_limits):
    runaway({"SCRIPT_HERE": "rows = [i * 2 for i in range(1000)]\nx = sum(rows) % 7 + len('ab' * 10)\nlabel = f'{x:>4}'"})
    iid, task = _started(sessions, connectors, "runaway")
    assert complete_task(sessions, PATIENT, iid, task, {}, connectors=connectors) == "waiting"
    assert titles(sessions, iid) == ["Done"]


def test_a_connector_runs_once_in_the_write_and_a_loop_after_it_fails_alone(sessions, deploy, connectors, tight_limits):
    calls: list[int] = []

    def book_slot(session, context, _params):
        # The connector's SQL commits with the state that records it (the step's write transaction).
        session.execute(insert(AuditEntry).values(action="slot_booked", ip="", actor_id=None, details={}))
        calls.append(context.instance_id)
        return {"slot": 7}

    connectors.register("book_slot", book_slot)
    deploy("failing", "failing", **{"share = 100 / people": "while True:\n    pass"})
    began = time.monotonic()
    iid = start_instance(sessions, "failing", PATIENT, {"people": 2}, patient_id=PATIENT.user_id, connectors=connectors)
    assert time.monotonic() - began <= LIMIT_SECONDS + MARGIN_SECONDS
    row = instance(sessions, iid)
    assert (row.status, row.error_element) == ("error", "compute")
    assert calls == [iid]
    with sessions() as session:
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "slot_booked")) == 1


def test_the_pieces_of_code_in_one_step_share_a_few_times_the_limit():
    from engine.workflow import sandbox

    saved = (limits.LIMITS.seconds, limits.LIMITS.megabytes)
    limits.configure(0.2, LIMIT_MB)
    messages = []
    began = time.monotonic()
    try:
        with limits.step():
            for _ in range(limits.STEP_FACTOR + 3):
                try:
                    sandbox.execute("while True:\n    pass", {})
                except limits.ScriptLimitError as stopped:
                    messages.append(stopped.message)
    finally:
        limits.configure(*saved)
    # Each stops at its own limit until the step's share runs out (the last one of those may meet both).
    assert messages[: limits.STEP_FACTOR - 1] == [limits.TIME_MESSAGE] * (limits.STEP_FACTOR - 1)
    assert messages[limits.STEP_FACTOR :] == [limits.STEP_MESSAGE] * 3
    assert time.monotonic() - began < 0.2 * limits.STEP_FACTOR + 0.5


@pytest.mark.parametrize(
    "bomb",
    ["x = '%*d' % (10**9, 1)", "x = '%100000000d' % 1", "x = format(1, '>100000000')", "n = 10**9\nx = f'{1:>{n}}'",
     "x = 'a'.ljust(10**10)", "x = ('ab' * 10000).replace('', 'x' * 100000)", "x = [1] * 10**9", "x = 1 << 10**9",
     "x = [0]\nx *= 10**9", "x = 'x' * 10**6\nfor i in range(20):\n    x = x + x"],
)  # fmt: skip
def test_a_value_too_large_is_refused_before_it_is_built(bomb, tight_limits):
    from engine.workflow import sandbox

    rss = limits.resident_bytes()
    with pytest.raises(limits.ScriptLimitError):
        sandbox.execute(bomb, {})
    assert limits.resident_bytes() - rss < (LIMIT_MB + 64) * 1024 * 1024


@pytest.mark.parametrize(
    ("script", "value"),
    [("x = '5 * 3 = %d' % 15", "5 * 3 = 15"), ("x = f'{7:*^5}'", "**7**"), ("x = format(3.14159, '.2f')", "3.14"),
     ("x = sum(range(10**6))", 499999500000), ("x = len([i for i in range(200000)])", 200000)],
)  # fmt: skip
def test_ordinary_code_gives_the_same_results_under_the_limits(script, value, tight_limits):
    from engine.workflow import sandbox

    context: dict[str, Any] = {}
    sandbox.execute(script, context)
    assert context["x"] == value
