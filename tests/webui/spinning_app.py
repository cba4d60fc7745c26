"""A WSGI app for tests/webui/test_gunicorn.py: /spin never returns (as a request stuck in C code would)."""

from __future__ import annotations

from typing import Any


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ.get("PATH_INFO") == "/spin":
        while True:
            pass
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
