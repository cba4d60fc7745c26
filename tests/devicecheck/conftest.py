"""The web app fixtures for the device check page."""

from tests.webui.conftest import app, client, settings  # noqa: F401
