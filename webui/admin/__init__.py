"""Administration: staff accounts, the whole journal and the demo mailbox (staff.py), the outbox of
messages (outbox.py, engine/outbox.py), work groups for lanes that are no role (groups.py). Blueprints in blueprint.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    # Importing the route modules attaches their routes to the blueprints before the app mounts them.
    from webui.admin import groups, outbox, staff  # noqa: F401
    from webui.admin.blueprint import bp, outbox_bp

    app.register_blueprint(bp)
    app.register_blueprint(outbox_bp)
