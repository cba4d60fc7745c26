"""The payments blueprint, made here so that the route modules import it and not each other."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")
