"""A WSGI app for tests/webui/test_gunicorn.py: each request wakes delivery through the Prefect API named
by CAREPATH_PREFECT_API_URL, as a committed registration does."""

from __future__ import annotations

import workflows.background  # noqa: F401 - Prefect imported before the first request, as the web app's warm-up does
from engine.config import load_settings
from workflows import enqueue


def app(_environ, start_response):
    enqueue.wake(load_settings(), enqueue.DELIVER_MESSAGES)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"woken"]
