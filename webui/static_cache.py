"""Static files and the vendored bundles (bpmn-js, dmn-js) cached by the browser for a year, with the file's
version in every address `url_for` writes.

Without this, every page view asked again for each script and style sheet (Flask serves static files with
``no-cache``: a conditional request and a 304 each); on the studio's editor that was 19 requests through
gunicorn's sync workers, queued behind the page and the API call. Now `url_for` adds ``v=<mtime-size>`` to
those addresses, and a response asked for with a ``v`` may be kept and reused without asking
(``immutable``): a changed file has a new address, so nobody keeps an old copy. Addresses written without
``v`` (by hand, or a bundle's own references such as bpmn-js's font) keep their previous headers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

YEAR = 365 * 24 * 3600


def register(app: Flask, vendor: Mapping[str, Path], private: frozenset[str] = frozenset()) -> None:
    """Versions url_for's addresses of static endpoints (Flask's and the blueprints') and of the vendor
    routes given (endpoint -> folder); `private` vendor endpoints need a login, so only the browser keeps them."""
    folders = dict(vendor)

    def folder(endpoint: str) -> str | None:
        if endpoint in folders:
            return str(folders[endpoint])
        if endpoint == "static":
            return app.static_folder
        blueprint, _, name = endpoint.rpartition(".")
        if name == "static" and blueprint in app.blueprints:
            return app.blueprints[blueprint].static_folder
        return None

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if "filename" not in values or "v" in values:
            return
        base = folder(endpoint)
        if base is None:
            return
        try:
            stat = os.stat(os.path.join(base, values["filename"]))
        except (OSError, ValueError):
            return  # a missing file: the route answers 404 as before
        values["v"] = f"{int(stat.st_mtime)}-{stat.st_size}"

    @app.after_request
    def cache_for_a_year(response: Response) -> Response:
        endpoint = request.endpoint or ""
        if request.args.get("v") and response.status_code in (200, 304) and folder(endpoint) is not None:
            response.cache_control.no_cache = None
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.public = endpoint not in private or None
            response.cache_control.private = endpoint in private or None
        return response

