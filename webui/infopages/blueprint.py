"""The information pages' blueprint, created apart from its routes (the house pattern of webui/<area>/)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("infopages", __name__, url_prefix="/info")
