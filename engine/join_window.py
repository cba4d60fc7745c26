"""When a live session (consultation, rehab class) may be joined: from shortly before its start to its end.

One place for the rule, used by consultations and classes alike (R-VID, R-REHAB).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.clock import now
from engine.i18n import N_, UserError

JOIN_LEAD = timedelta(minutes=10)


@dataclass(frozen=True)
class Window:
    opens: datetime
    closes: datetime

    def state(self, at: datetime | None = None) -> str:
        at = at or now()
        if at < self.opens:
            return "early"
        if at > self.closes:
            return "over"
        return "open"

    def check(self, at: datetime | None = None) -> None:
        state = self.state(at)
        if state == "early":
            raise UserError(N_("The session opens 10 minutes before its start. Come back at %(time)s."),
                            time=self.opens)  # shown in the reader's zone (webui.messages)
        if state == "over":
            raise UserError(N_("This session has ended."))


def join_window(starts_at: datetime, ends_at: datetime) -> Window:
    return Window(opens=starts_at - JOIN_LEAD, closes=ends_at)
