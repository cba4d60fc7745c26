"""Rehabilitation (engine/rehab): the patient's assignments, courses and exercise-therapy groups
(pages.py), the public enrolment form and its review (enrol.py). Blueprints in blueprint.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    # Importing the route modules attaches their routes to the blueprints before the app mounts them.
    from webui.rehab import enrol, pages  # noqa: F401
    from webui.rehab.blueprint import bp, enrol_bp

    app.register_blueprint(bp)
    app.register_blueprint(enrol_bp)
