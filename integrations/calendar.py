"""iCalendar (.ics) invitations for appointment tickets, built with the icalendar package."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from engine import clock

PRODID = "-//CarePath//Electronic registry//RU"


def appointment_ics(*, uid: str, starts_at: datetime, ends_at: datetime, summary: str, location: str,
                    description: str, remind_minutes: int = 60) -> bytes:
    """A one-event calendar (METHOD:PUBLISH: an entry to add, not a meeting request to answer)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", clock.now())
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", -timedelta(minutes=remind_minutes))
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()

