"""The environment for `prefect server start` and the serve process: local, quiet and offline.

The CLI starts both with `env={**os.environ, **prefect_environment(settings)}`. Everything Prefect keeps
(its SQLite database, profiles, logs) lives under the instance folder, never in the user's ~/.prefect.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from engine.config import Settings

DEFAULT_API_URL = "http://127.0.0.1:4200/api"


def prefect_home(settings: Settings) -> Path:
    return settings.instance_path / "prefect"


def prefect_environment(settings: Settings) -> dict[str, str]:
    home = prefect_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    api_url = settings.prefect_api_url or DEFAULT_API_URL
    api = urlsplit(api_url)
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        # Where `prefect server start` listens; taken from the API URL so the two cannot disagree.
        "PREFECT_SERVER_API_HOST": api.hostname or "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(api.port or 4200),
        # Prefect 3.8 reads PREFECT_SERVER_DATABASE_CONNECTION_URL (PREFECT_API_DATABASE_... is the old alias).
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        # Offline and quiet: no usage reporting, no promotions in the UI.
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        # The first start migrates a fresh database, which takes longer than Prefect's default wait.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
