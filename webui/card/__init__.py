"""The patient card (engine/card): the card page and its documents (pages.py), its FHIR export
(export.py). One blueprint (blueprint.py); shared helpers in shared.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    # Importing the route modules attaches their routes to the blueprint before the app mounts it.
    from webui.card import export, pages  # noqa: F401
    from webui.card.blueprint import bp

    app.register_blueprint(bp)
