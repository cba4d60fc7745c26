"""Due timers taken by timer workers: the next due time, claims that two workers racing never share,
a claim given back when the instance was stepped by someone else, a live worker's claim renewed, and a
dead worker's claim running out."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from engine.workflow import start_instance
from engine.workflow.events import fire_instances
from engine.workflow.models import DueTimer, InstanceEvent
from engine.workflow.timer_claims import LEASE, claim_due, next_due_at, release, renew
from tests.engine.helpers import PATIENT, pending


def start_timers(sessions, deploy, clock, n: int, due_in: timedelta) -> list[int]:
    """n instances waiting for a timer that falls due `due_in` from now (negative: already due)."""
    deploy("timer_at")
    start = clock.current
    if due_in < timedelta(0):
        clock.current = start + due_in - timedelta(minutes=1)  # started earlier, to be due by now
    at = (start + due_in).isoformat()
    ids = [start_instance(sessions, "timer_at", PATIENT, {"due_at": at}, patient_id=PATIENT.user_id)
           for _ in range(n)]  # fmt: skip
    clock.current = start
    return ids


def test_the_next_due_time_is_the_earliest_timer_and_none_without_timers(sessions, deploy, clock):
    assert next_due_at(sessions) is None
    start_timers(sessions, deploy, clock, 2, timedelta(minutes=5))

    assert next_due_at(sessions) == clock.current + timedelta(minutes=5)


def test_two_workers_claiming_at_once_share_no_timer(sessions, deploy, clock):
    ids = start_timers(sessions, deploy, clock, 40, timedelta(seconds=-1))
    barrier = threading.Barrier(2)
    claimed: list[list[int]] = [[], []]

    def worker(k: int) -> None:
        barrier.wait()
        while True:
            got, _until = claim_due(sessions, limit=3)
            if not got:
                return
            claimed[k] += got

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)
    assert claim_due(sessions) == ([], clock.current + LEASE)  # all held


def test_two_workers_racing_fire_each_timer_once(sessions, deploy, clock):
    ids = start_timers(sessions, deploy, clock, 12, timedelta(seconds=-1))
    barrier = threading.Barrier(2)
    fired = [0, 0]
    lost: list[int] = []

    def worker(k: int) -> None:
        barrier.wait()
        while True:
            got, until = claim_due(sessions, limit=2)
            if not got:
                return
            n, conflicts = fire_instances(sessions, got)
            release(sessions, got, until)
            fired[k] += n
            lost.extend(conflicts)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(fired) == len(ids) and lost == []
    with sessions() as session:
        timer_events = session.scalars(select(InstanceEvent.instance_id).where(InstanceEvent.instance_id.in_(ids),
                                                                               InstanceEvent.kind == "timer")).all()
        waiting = session.scalars(select(DueTimer.task_name).where(DueTimer.instance_id.in_(ids))).all()
    assert sorted(timer_events) == sorted(ids)  # one timer step per instance
    assert waiting == []
    assert all([t.task_name for t in pending(sessions, i)] == ["after"] for i in ids)


def test_a_claim_is_given_back_when_the_timer_did_not_fire(sessions, deploy, clock):
    [iid] = start_timers(sessions, deploy, clock, 1, timedelta(seconds=-1))
    got, until = claim_due(sessions)
    assert got == [iid]
    assert claim_due(sessions)[0] == []

    release(sessions, got, until)

    assert claim_due(sessions)[0] == [iid]


def test_a_dead_workers_claim_runs_out_after_the_lease(sessions, deploy, clock):
    [iid] = start_timers(sessions, deploy, clock, 1, timedelta(seconds=-1))
    assert claim_due(sessions)[0] == [iid]  # ... and the worker dies here
    assert next_due_at(sessions) == clock.current + LEASE

    clock.advance(LEASE + timedelta(seconds=1))

    assert claim_due(sessions)[0] == [iid]
    assert fire_instances(sessions, [iid]) == (1, [])
    assert [t.task_name for t in pending(sessions, iid)] == ["after"]


def test_a_renewed_claim_outlasts_its_first_lease_and_is_still_given_back(sessions, deploy, clock):
    [iid] = start_timers(sessions, deploy, clock, 1, timedelta(seconds=-1))
    lease = timedelta(seconds=10)
    got, until = claim_due(sessions, lease=lease)
    clock.advance(timedelta(seconds=7))

    renewed = renew(sessions, got, until, lease)  # the worker's heartbeat

    assert renewed == clock.current + lease
    clock.advance(timedelta(seconds=7))  # past the first end, within the renewed one
    assert claim_due(sessions, lease=lease)[0] == []
    assert next_due_at(sessions) == renewed
    release(sessions, got, renewed)
    assert claim_due(sessions, lease=lease)[0] == [iid]


def test_a_renewal_leaves_a_claim_another_worker_took_over_alone(sessions, deploy, clock):
    [iid] = start_timers(sessions, deploy, clock, 1, timedelta(seconds=-1))
    lease = timedelta(seconds=10)
    got, stale = claim_due(sessions, lease=lease)
    clock.advance(lease + timedelta(seconds=1))  # the first worker stalled past its lease
    taken, until = claim_due(sessions, lease=lease)
    assert taken == [iid]

    renew(sessions, got, stale, lease)

    assert next_due_at(sessions) == until  # still the second worker's claim
