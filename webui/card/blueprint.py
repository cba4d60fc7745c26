"""The card blueprint, created here so that its route modules attach to it without importing one another."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("card", __name__, url_prefix="/card")
