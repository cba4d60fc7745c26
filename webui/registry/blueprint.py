"""The registry's blueprints, created here so that every route module imports them and none imports
another route module: `registry` (public pages, webui/registry/pages.py) with its children `booking`
(booking.py), `manage` (manage.py) and `visits` (visits.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("registry", __name__, url_prefix="/registry")
booking_bp = Blueprint("booking", __name__)
manage_bp = Blueprint("manage", __name__, url_prefix="/manage")
visits_bp = Blueprint("visits", __name__, url_prefix="/visits")
# Children are recorded now and mounted with the parent: their endpoints stay registry.booking.*, etc.
bp.register_blueprint(booking_bp)
bp.register_blueprint(manage_bp)
bp.register_blueprint(visits_bp)
