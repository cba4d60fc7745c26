"""The admin area's blueprints, created here so that the route modules import them and not each other:
`admin` (staff.py) and `outbox_admin` (outbox.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
outbox_bp = Blueprint("outbox_admin", __name__, url_prefix="/admin/outbox")
