"""Remote monitoring (engine/monitoring): the patient's days and questionnaire (pages.py), the doctor's
list, patient page and exports (doctor.py) with server-rendered charts (charts.py), and the plans the
doctor builds (plans.py). One blueprint (blueprint.py); shared helpers in shared.py."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for

from engine.monitoring.dispatch import MODEL_ID as MONITORING_MODEL
from webui.tasks.core import OWN_PAGES


def register(app: Flask) -> None:
    # Importing the route modules attaches their routes to the blueprint before the app mounts it.
    from webui.monitoring import doctor, pages, plans  # noqa: F401
    from webui.monitoring.blueprint import bp

    app.register_blueprint(bp)
    # The questionnaire task of a monitoring day is answered on the day's page (see webui.tasks.core).
    OWN_PAGES[(MONITORING_MODEL, "answer")] = _day_page


def _day_page(data: dict[str, Any]) -> str | None:
    day = data.get("day")
    return url_for("monitoring.day_page", day=day) if isinstance(day, str) and day else None
