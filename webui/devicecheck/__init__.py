"""The device check before a video session (R-VID-03, R-VID-05, R-TECH-02..12): camera preview,
microphone level, a speaker test sound, the browser against the seeds' list (browsers.py) and a rough
network check, with advice in the reader's language; its join button says whether the check passed and
joins anyway. Routes in pages.py on the blueprint of blueprint.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from webui.devicecheck import pages  # noqa: F401 - its routes join the blueprint
    from webui.devicecheck.blueprint import bp

    app.register_blueprint(bp)
