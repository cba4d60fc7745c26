"""The rehabilitation area's blueprints, created here so that the route modules import them and not each
other: `rehab` (pages.py) and `rehab_enrol` (the public enrolment form, enrol.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rehab", __name__, url_prefix="/rehab")
enrol_bp = Blueprint("rehab_enrol", __name__, url_prefix="/rehab")
