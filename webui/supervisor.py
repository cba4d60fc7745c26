"""Keeps the platform's processes running: `carepath run` starts its children (Prefect server, background
worker, relay, gunicorn) through a Supervisor and watches them.

A child that stops is started again, with a log line, instead of the whole platform stopping with it:
a Prefect server killed by the kernel or a background worker that died must not take the web app down.
The restart rate is bounded: the delay before a restart doubles with each restart in the last
RESTART_WINDOW seconds (1 s, 2 s, 4 s, ... up to MAX_DELAY), so a child that cannot start (a port taken,
a broken configuration) is tried about once a minute and says so each time, without a busy loop.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

FIRST_DELAY = 1.0
MAX_DELAY = 60.0
RESTART_WINDOW = 600.0  # restarts longer ago than this no longer lengthen the delay
STOP_TIMEOUT = 20.0


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path | None  # None: the child writes to our own output
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)  # monotonic times of recent restarts
    restart_at: float | None = None  # set while the child is dead and waiting for its restart

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    def __init__(self, say: Callable[[str], None], *, first_delay: float = FIRST_DELAY,
                 max_delay: float = MAX_DELAY, window: float = RESTART_WINDOW) -> None:  # fmt: skip
        self.say, self.first_delay, self.max_delay, self.window = say, first_delay, max_delay, window
        self.children: list[Child] = []
        self.stopped = False

    def start(self, name: str, argv: list[str], env: dict[str, str], log: Path | None = None) -> Child:
        child = Child(name, argv, env, log)
        self._spawn(child)
        self.children.append(child)
        return child

    def _spawn(self, child: Child) -> None:
        output: IO[bytes] | None = None
        if child.log is not None:
            child.log.parent.mkdir(parents=True, exist_ok=True)
            output = open(child.log, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            child.process = subprocess.Popen(child.argv, env=child.env, stdout=output,
                                             stderr=subprocess.STDOUT if output else None)
        finally:
            if output is not None:
                output.close()  # the child holds its own descriptor

    def check(self) -> None:
        """One look at every child: note the ones that stopped, start again the ones whose delay is over."""
        if self.stopped:
            return
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is None and not child.running:
                while child.restarts and now - child.restarts[0] > self.window:
                    child.restarts.popleft()
                delay = min(self.max_delay, self.first_delay * 2 ** len(child.restarts))
                child.restart_at = now + delay
                code = child.process.returncode if child.process else None
                self.say(f"{_stamp()} {child.name} stopped ({_exit(code)}); starting it again in {delay:.0f} s "
                         f"(restart {len(child.restarts) + 1} in the last {self.window / 60:.0f} minutes)")
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts.append(now)
                child.restart_at = None
                try:
                    self._spawn(child)
                except OSError as exc:  # the next look schedules another try
                    self.say(f"{_stamp()} {child.name} could not be started: {exc}")
                    continue
                self.say(f"{_stamp()} {child.name} started again (process {child.process.pid})")

    def watch(self, interval: float = 1.0, until: Callable[[], bool] = lambda: False) -> None:
        """Check every `interval` seconds until `until()` is true (for ever in `carepath run`: Ctrl-C or
        SIGTERM ends it)."""
        while not until():
            self.check()
            time.sleep(interval)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to every child, the last started first; SIGKILL to what is still there after `timeout`."""
        self.stopped = True
        for child in reversed(self.children):
            child.restart_at = None
            if child.running:
                child.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def _exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _stamp() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")

