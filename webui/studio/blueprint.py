"""The studio's blueprints, created here so that the route modules import them and not each other:
`studio` (pages, pages.py) and `studio_api` (the modeler's JSON endpoints, api.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")
api_bp = Blueprint("studio_api", __name__, url_prefix="/studio/api")
