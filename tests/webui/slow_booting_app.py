"""A WSGI app for tests/webui/test_gunicorn.py that takes longer to import than gunicorn's --timeout there
(as the real app does on a busy machine): BOOT_SECONDS from the environment, then it is spinning_app."""

from __future__ import annotations

import os
import time

from tests.webui.spinning_app import app

time.sleep(float(os.environ["BOOT_SECONDS"]))

__all__ = ["app"]
