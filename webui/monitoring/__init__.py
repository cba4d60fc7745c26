"""Remote monitoring (engine/monitoring): the patient's days and questionnaire (pages.py), the doctor's
list, patient page and exports (doctor.py) with server-rendered charts (charts.py), and the plans the
doctor builds (plans.py). One blueprint (blueprint.py); shared helpers in shared.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    # Importing the route modules attaches their routes to the blueprint before the app mounts it.
    from webui.monitoring import doctor, pages, plans  # noqa: F401
    from webui.monitoring.blueprint import bp

    app.register_blueprint(bp)
