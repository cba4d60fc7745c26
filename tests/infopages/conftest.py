"""The web app fixtures for the information pages."""

from tests.webui.conftest import app, cast, client, settings  # noqa: F401
