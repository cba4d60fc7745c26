"""What the registry's route modules share: the app's connector registry and the `regtime` filter."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import format_datetime

from engine.workflow import ConnectorRegistry
from webui.registry.blueprint import bp
from webui.timedisplay import appointment_time


def connectors() -> ConnectorRegistry:
    """The app's registry (engine.composition lists engine.registry.connectors among its registrars)."""
    from webui.tasks.core import connectors as app_connectors

    return app_connectors()


APPOINTMENT_FORMAT = "d MMMM y, HH:mm"


@bp.app_template_filter("regtime")
def regtime(value: datetime | None, zone: str = "Asia/Yekaterinburg", fmt: str = APPOINTMENT_FORMAT) -> str:
    """A registry time in the institution's local time (the clinic's clock is what the patient needs); a
    full appointment time names the zone when it differs from the reader's (webui.timedisplay)."""
    if value is None:
        return "—"
    if fmt == APPOINTMENT_FORMAT:
        return appointment_time(value, zone, fmt)
    return format_datetime(value.astimezone(ZoneInfo(zone)), fmt, rebase=False)
