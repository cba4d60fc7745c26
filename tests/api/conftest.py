"""The API tests share the task tests' fixtures."""

from tests.tasks.conftest import (  # noqa: F401
    PASSWORD,
    app,
    cast,
    client,
    deploy,
    flaky,
    login,
    make_user,
    registry,
    settings,
)
