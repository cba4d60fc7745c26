"""The electronic registry (engine/registry): public pages and district lookup (pages.py), booking,
tickets and the cabinet section (booking.py), the manager's pages (manage.py), the visit desk
(visits.py), their forms (forms.py). The blueprints are in blueprint.py, shared helpers in shared.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    # Importing the route modules attaches their routes to the blueprints before the app mounts them.
    # shared.py registers the `regtime` template filter.
    from webui.registry import booking, manage, pages, shared, visits  # noqa: F401
    from webui.registry.blueprint import bp

    app.register_blueprint(bp)
