"""Feedback (engine/feedback): the public form with its captcha (pages.py) and the managers' list where
they answer (manage.py). Blueprint in blueprint.py; the captcha secret and the widget in shared.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from webui.feedback import manage, pages  # noqa: F401 - their routes join the blueprint
    from webui.feedback.blueprint import bp

    app.register_blueprint(bp)
