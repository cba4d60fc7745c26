"""What the feedback routes share: the captcha's signing secret and where the widget's script lives."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from flask import current_app

# The ALTCHA widget, installed from npm by `make install` (package.json), served by this app.
WIDGET_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "altcha" / "dist" / "main"
WIDGET_FILE = "altcha.i18n.umd.min.cjs"  # with its translations (Russian among them)
# The widget solves the challenge in Web Workers it starts from a blob: or data: URL.
WIDGET_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
              "worker-src 'self' blob: data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
POST_LIMIT = "5 per hour"


def captcha_secret() -> str:
    """A key of its own, derived from the app's secret, so a captcha signature is good for nothing else."""
    secret = current_app.extensions["carepath"].settings.secret_key
    return hmac.new(str(secret).encode(), b"carepath-feedback-captcha", hashlib.sha256).hexdigest()
