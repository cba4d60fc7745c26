"""Fixtures of the forms tests: an app with Babel and the blueprint, and a request context in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.forms.helpers import make_app


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """A GET request context: enough to build, fill (data=/formdata=) and render forms."""
    with app.test_request_context("/"):
        yield
