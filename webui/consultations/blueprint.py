"""The consultations blueprints, created here so that the route modules import them and not each other:
`consultations` (the section's pages, pages.py) and `consultations_start` (starting one, start.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("consultations", __name__, url_prefix="/consultations")
start_bp = Blueprint("consultations_start", __name__, url_prefix="/consultations")
