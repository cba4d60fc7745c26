"""The accounts area's blueprints, created here so that the route modules import them and not each
other: `auth` (auth.py) and `cabinet` (cabinet.py)."""

from __future__ import annotations

from flask import Blueprint

auth_bp = Blueprint("auth", __name__, url_prefix="/account")
cabinet_bp = Blueprint("cabinet", __name__, url_prefix="/cabinet")
