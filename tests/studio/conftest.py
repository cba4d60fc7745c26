"""The web app fixtures of tests/webui, for the studio's page tests."""

from tests.webui.conftest import app, cast, client, settings  # noqa: F401
