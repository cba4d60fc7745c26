"""The API area's blueprints, created here so that the route modules import them and not each other:
`api` (the JSON API, routes.py) and `api_tokens` (a person's tokens page in the cabinet, tokens.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
tokens_bp = Blueprint("api_tokens", __name__, url_prefix="/cabinet/tokens")
