"""The pathway studio for analysts (engine/studio): models, versions, the modeler, diff, migration,
export/import and the dashboard (pages.py); the modeler's JSON endpoints (api.py). Blueprints in
blueprint.py; who may enter in shared.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    # Importing the route modules attaches their routes to the blueprints before the app mounts them.
    from webui.studio import api, pages  # noqa: F401
    from webui.studio.blueprint import api_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
