"""The feedback blueprint, created apart from its routes (the house pattern of webui/<area>/)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/feedback")
