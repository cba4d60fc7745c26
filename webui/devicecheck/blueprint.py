"""The device-check blueprint, created apart from its routes (the house pattern of webui/<area>/)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("devicecheck", __name__, url_prefix="/device-check")
