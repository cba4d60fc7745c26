"""Accounts (engine/accounts): login, registration, confirmation, password reset and the second factor
(auth.py), the personal cabinet (cabinet.py), the account forms (forms.py). Blueprints in blueprint.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    # Importing the route modules attaches their routes to the blueprints before the app mounts them.
    from webui.accounts import auth, cabinet  # noqa: F401
    from webui.accounts.blueprint import auth_bp, cabinet_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(cabinet_bp)
