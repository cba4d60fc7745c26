"""Claims that a live worker keeps and a dead one loses within seconds (timer claims, outbox deliveries).

A worker claims rows until `now + lease`; while it works on them, a Heartbeat thread moves the claim's end
forward every third of the lease. A worker that dies (a machine losing power, `kill -9`) stops renewing,
and another worker takes its rows once the last end it wrote has passed: within one lease, not after a
lease long enough to outlast the slowest batch. A worker stalled for a whole lease can be overtaken;
what keeps that from doing anything twice is the claimed work's own guard (a timer's step checks the
instance's revision; a message goes to one courier at a time while its claim is held).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)


class Heartbeat:
    """Calls `renew()` every `lease / 3` in a daemon thread while the `with` block runs."""

    def __init__(self, lease: timedelta, renew: Callable[[], None], name: str = "lease heartbeat") -> None:
        self.interval = lease.total_seconds() / 3
        self.renew = renew
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.renew()
            except Exception:  # the database was away for a moment: the next beat tries again
                log.warning("could not renew a claim's lease", exc_info=True)
