"""The monitoring blueprint, created here so that its three route modules (pages.py, doctor.py,
plans.py) attach to it without importing one another."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")
