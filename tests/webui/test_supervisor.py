"""The supervisor of `carepath run` (webui/supervisor.py) with real child processes: a child that stops is
started again with a log line while the others go on, a child that keeps failing is retried at a bounded
rate, and stopping ends every child, killing one that ignores SIGTERM."""

from __future__ import annotations

import os
import signal
import sys
import time

from webui.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
FAILING = [sys.executable, "-c", "raise SystemExit(3)"]
# Ignores SIGTERM, then says so in its log.
STUBBORN = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('deaf', flush=True); time.sleep(120)"]


def watch_until(supervisor: Supervisor, predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    supervisor.watch(interval=0.05, until=lambda: predicate() or time.monotonic() > deadline)
    assert predicate(), "not within the time allowed"


def test_a_child_that_stops_is_started_again_and_the_others_go_on(tmp_path):
    lines: list[str] = []
    supervisor = Supervisor(lines.append, first_delay=0.1)
    try:
        server = supervisor.start("the Prefect server", SLEEPER, dict(os.environ), tmp_path / "server.log")
        web = supervisor.start("the web app", SLEEPER, dict(os.environ))
        killed, web_pid = server.process.pid, web.process.pid

        os.kill(killed, signal.SIGKILL)
        watch_until(supervisor, lambda: server.running and server.process.pid != killed)

        assert web.process.pid == web_pid and web.running
        assert any(line.endswith("the Prefect server stopped (signal SIGKILL); starting it again in 0 s "
                                 "(restart 1 in the last 10 minutes)") for line in lines), lines
        assert any(f"the Prefect server started again (process {server.process.pid})" in line for line in lines)
        assert (tmp_path / "server.log").exists()
    finally:
        supervisor.stop(timeout=10)


def test_a_child_that_keeps_failing_is_retried_with_a_growing_bounded_delay():
    lines: list[str] = []
    supervisor = Supervisor(lines.append, first_delay=0.05, max_delay=0.2)
    try:
        child = supervisor.start("the background worker", FAILING, dict(os.environ))
        watch_until(supervisor, lambda: len(child.restarts) >= 5)
    finally:
        supervisor.stop(timeout=10)

    stops = [line for line in lines if "the background worker stopped (exit code 3)" in line]
    assert [line.split("restart ")[1] for line in stops[:5]] == [f"{n} in the last 10 minutes)" for n in range(1, 6)]
    assert supervisor.children[0].restarts  # remembered, so the delay stays at its bound


def test_the_delay_doubles_with_recent_restarts_up_to_its_bound():
    lines: list[str] = []
    supervisor = Supervisor(lines.append, first_delay=1, max_delay=4)
    try:
        child = supervisor.start("the relay", FAILING, dict(os.environ))
        child.process.wait(30)
        delays = []
        for _ in range(5):
            supervisor.check()  # notes the stop and schedules the restart
            delays.append(child.restart_at - time.monotonic())
            child.restart_at = time.monotonic()  # its turn now (rather than waiting for it)
            supervisor.check()  # starts it again
            child.process.wait(30)
    finally:
        supervisor.stop(timeout=10)

    assert [round(d) for d in delays] == [1, 2, 4, 4, 4]


def test_stopping_ends_every_child_and_kills_one_that_ignores_sigterm(tmp_path):
    supervisor = Supervisor(lambda _line: None)
    children = [supervisor.start("the relay", SLEEPER, dict(os.environ)),
                supervisor.start("a stubborn one", STUBBORN, dict(os.environ), tmp_path / "stubborn.log")]
    watch_until(supervisor, lambda: b"deaf" in (tmp_path / "stubborn.log").read_bytes())

    supervisor.stop(timeout=2)

    assert [c.process.returncode for c in children] == [-signal.SIGTERM, -signal.SIGKILL]
    supervisor.check()  # a stopped supervisor starts nothing again
    assert not any(c.running or c.restart_at for c in children)
