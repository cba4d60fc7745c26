"""The JSON API (engine/apitokens, engine/workflow for clients): the endpoints (routes.py), their JSON
shapes (views.py) and texts (texts.py), the OpenAPI document (openapi.py), and the cabinet page where a
person manages API tokens (tokens.py). Blueprints in blueprint.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from webui.api import routes, tokens  # noqa: F401 - importing them attaches their routes
    from webui.api.blueprint import bp, tokens_bp
    from webui.extensions import csrf

    app.register_blueprint(tokens_bp)
    app.register_blueprint(bp)
    # Checked per request in `authenticate`: exempt only when the request carries a token.
    csrf.exempt(bp)
