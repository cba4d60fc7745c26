"""CarePath as it runs on several machines (issue 23): 2 web hosts and 2 worker hosts, each with its own
instance folder, sharing only PostgreSQL, the Prefect server and the file store; simulated people
(locust) register, book, complete tasks, upload documents and download conclusions while one worker is
killed and started again. Afterwards nothing went wrong and nothing happened twice.

The issue's figure by default: 100 people for 60 s (CAREPATH_SCALE_USERS, CAREPATH_SCALE_SECONDS change
it). People think 5–15 s between actions (people.py) and arrive over 20 s, as people do; the web hosts
still queue requests during the arrivals' logins on a loaded 2-core machine, which is slow but never an
error. Claims are leased for 10 s (cluster.py), so the killed worker's timers and messages are taken
over within seconds and the whole test stays within a few minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import _postgres_answers
from tests.scale.cluster import ROOT, Cluster
from tests.scale.seed import PASSWORD, seed

USERS = int(os.environ.get("CAREPATH_SCALE_USERS", "100"))
SECONDS = int(os.environ.get("CAREPATH_SCALE_SECONDS", "60"))

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(900)]


@pytest.fixture
def cluster(tmp_path: Path):
    reason = _postgres_answers()
    if reason:
        pytest.skip(reason)
    running = Cluster(tmp_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def run_people(config: dict, folder: Path, timeout: float) -> dict:
    (folder / "people.json").write_text(json.dumps(config))
    subprocess.run([sys.executable, str(ROOT / "tests" / "scale" / "people.py"), str(folder / "people.json"),
                    str(folder / "result.json")], cwd=ROOT, timeout=timeout, check=True,
                   stdout=(folder / "locust.log").open("wb"), stderr=subprocess.STDOUT)
    return json.loads((folder / "result.json").read_text())


def conclusions_signed(cluster: Cluster, timeout: float) -> None:
    from engine.conclusions.models import Conclusion

    sessions = cluster.sessions()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            if not session.scalar(select(func.count()).select_from(Conclusion).where(Conclusion.status == "pending")):
                return
        time.sleep(0.5)
    raise AssertionError("the workers did not sign the seeded conclusions")


def settle(cluster: Cluster, timeout: float, timer_instances: list[int]) -> None:
    """Wait until the workers have delivered every message, signed every conclusion, fired the seeded
    timers (the demo's own timers are due on later days)."""
    from engine.conclusions.models import Conclusion
    from engine.outbox import OutboxMessage
    from engine.workflow.models import DueTimer

    sessions = cluster.sessions()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            open_mail = session.scalar(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.status.in_(("queued", "sending"))))
            unsigned = session.scalar(select(func.count()).select_from(Conclusion).where(Conclusion.status == "pending"))
            timers = session.scalar(select(func.count()).select_from(DueTimer)
                                    .where(DueTimer.instance_id.in_(timer_instances)))
        if not (open_mail or unsigned or timers):
            return
        time.sleep(1)
    raise AssertionError(f"not settled: {open_mail} messages, {unsigned} conclusions, {timers} timers left")


def test_two_web_and_two_worker_hosts_under_load_lose_nothing_and_do_nothing_twice(cluster, tmp_path):
    from engine.config import load_settings
    from engine.outbox import OutboxMessage
    from engine.registry.models import Ticket
    from engine.workflow.models import ProcessInstance

    env = cluster.environment("setup")
    settings = load_settings({k: v for k, v in env.items() if k.startswith("CAREPATH_")})
    sessions = cluster.sessions()
    facts = seed(sessions, settings, USERS, timers_from=datetime.now(UTC) + timedelta(seconds=30),
                 timers_within=max(5, SECONDS - 10))
    conclusions_signed(cluster, timeout=120)  # signed by the workers, from the shared CA, for people to read

    worker, stop = cluster.workers[0], threading.Event()

    def kill_and_restart() -> None:  # one worker machine dies in the middle and comes back
        if not stop.wait(SECONDS / 3):
            worker.kill()
            time.sleep(3)
            worker.start()

    chaos = threading.Thread(target=kill_and_restart, daemon=True)
    chaos.start()
    try:
        result = run_people({"hosts": [cluster.url(w) for w in cluster.webs], "users": USERS, "seconds": SECONDS,
                             "spawn_rate": max(1, USERS // 20), "patients": facts["patients"], "password": PASSWORD,
                             "slots": facts["slots"], "newcomers": 0.15}, tmp_path, timeout=SECONDS + 120)
    finally:
        stop.set()
        chaos.join()
    # A timer or message the killed worker had claimed waits for its claim to run out (cluster.py's lease).
    settle(cluster, timeout=120, timer_instances=facts["timer_instances"])
    print(f"\n{result['requests']} requests, {result['rps']:.1f}/s, p50 {result['p50_ms']} ms, "
          f"p95 {result['p95_ms']} ms; {len(result['uploaded'])} uploads, {result['downloaded']} conclusions read")

    # 0 server errors, no connection dropped without an answer (and the people really did each thing)
    assert result["server_errors"] == [], result["server_errors"][:20]
    assert result["dropped"] == [], result["dropped"][:20]
    done = {name: entry["requests"] for name, entry in result["by_name"].items()}
    for action in ("POST /account/register [POST]", "POST /registry/book/[slot] [POST]",
                   "POST /tasks/[task] [POST]", "POST /consultations/documents [POST]",
                   "GET /history/document/[id].pdf"):
        assert done.get(action), f"nobody did {action}: {sorted(done)}"

    with sessions() as session:
        # 0 double bookings: at most one live ticket per time
        doubled = session.execute(
            select(Ticket.slot_id, func.count()).where(Ticket.status.in_(("held", "confirmed")))
            .group_by(Ticket.slot_id).having(func.count() > 1)).all()
        assert doubled == []
        assert session.scalar(select(func.count()).select_from(Ticket)) > 0

        # 0 messages lost or sent twice: every email row sent, each exactly once at the mail server
        rows = session.execute(select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.kind)
                               .where(OutboxMessage.channel == "email")).all()
        assert Counter(status for _, status, _ in rows) == Counter({"sent": len(rows)})
        arrived = cluster.mail.outbox_ids()
        assert {i for i, _, _ in rows} == set(arrived)
        assert [i for i, n in arrived.items() if n > 1] == []

        # 0 timers fired twice: each timer instance completed and mailed its patient exactly once
        timer_instances = facts["timer_instances"]
        statuses = session.execute(select(ProcessInstance.status, func.count())
                                   .where(ProcessInstance.id.in_(timer_instances))
                                   .group_by(ProcessInstance.status)).all()
        assert statuses == [("completed", len(timer_instances))]
        invitations = Counter(session.scalars(select(OutboxMessage.user_id)
                                              .where(OutboxMessage.kind == "monitoring_invitation")))
        assert invitations == Counter({pid: 1 for pid in facts["patient_ids"]})

    # the restarted worker is running again
    assert worker.process is not None and worker.process.poll() is None

    # every uploaded file readable from every web host, by its owner, byte for byte
    assert result["uploaded"]
    owners = sorted({u["email"] for u in result["uploaded"]})
    for web in cluster.webs:
        for email in owners:
            with httpx.Client(base_url=cluster.url(web), timeout=30, follow_redirects=True) as client:
                page = client.get("/account/login")
                token = page.text.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
                client.post("/account/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
                for upload in (u for u in result["uploaded"] if u["email"] == email):
                    answer = client.get(f"/consultations/documents/{upload['id']}")
                    assert answer.status_code == 200, (web.name, upload)
                    assert hashlib.sha256(answer.content).hexdigest() == upload["sha256"]
