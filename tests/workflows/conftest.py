"""One Prefect test harness (a temporary API server with its own SQLite) for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    # The first start migrates a fresh database; on two shared cores that can take a minute.
    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder with the outbox tables, as the environment of a flow run sees it."""
    from engine.config import load_settings
    from engine.db import create_all, make_engine

    monkeypatch.setenv("CAREPATH_INSTANCE_PATH", str(tmp_path))
    for name in ("CAREPATH_DATABASE_URL", "CAREPATH_SMTP_URL", "CAREPATH_SMS_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    create_all(engine)
    engine.dispose()
    return settings
