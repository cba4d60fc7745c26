"""Settings: defaults that work with nothing configured, and a clear stop on a bad value."""

from __future__ import annotations

import pytest

from engine.config import ConfigError, load_settings


def test_nothing_configured_gives_a_working_local_setup(tmp_path):
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'carepath.sqlite3'}"
    assert (settings.host, settings.port, settings.smtp_url) == ("127.0.0.1", 5000, None)
    assert settings.base_url == "http://127.0.0.1:5000"
    assert settings.mailbox_path.is_dir() and settings.keys_path.is_dir()


def test_the_generated_secret_key_is_kept_across_restarts(tmp_path):
    first = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)}).secret_key
    assert load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)}).secret_key == first
    assert len(first) >= 40 and (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "db_url"
    secret.write_text("postgresql://carepath@db.internal/carepath\n")
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_DATABASE_URL_FILE": str(secret)})
    assert settings.database_url == "postgresql://carepath@db.internal/carepath"


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("CAREPATH_PORT", "http", "CAREPATH_PORT"),
        ("CAREPATH_PORT", "70000", "CAREPATH_PORT"),
        ("CAREPATH_DATABASE_URL", "mysql://x", "CAREPATH_DATABASE_URL"),
        ("CAREPATH_SMTP_URL", "mail.example.org", "CAREPATH_SMTP_URL"),
        ("CAREPATH_DEFAULT_LOCALE", "de", "CAREPATH_DEFAULT_LOCALE"),
        ("CAREPATH_SESSION_COOKIE_SECURE", "yes please", "CAREPATH_SESSION_COOKIE_SECURE"),
        ("CAREPATH_BASE_URL", "carepath.example.org", "CAREPATH_BASE_URL"),
        ("CAREPATH_SECRET_KEY_FILE", "/no/such/file", "CAREPATH_SECRET_KEY_FILE"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value, named):
    with pytest.raises(ConfigError, match=named):
        load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), name: value})


def test_booleans_are_strict(tmp_path):
    base = {"CAREPATH_INSTANCE_PATH": str(tmp_path)}
    assert load_settings({**base, "CAREPATH_SESSION_COOKIE_SECURE": "true"}).session_cookie_secure is True
    assert load_settings({**base, "CAREPATH_SESSION_COOKIE_SECURE": "false"}).session_cookie_secure is False
    assert load_settings({**base, "CAREPATH_BASE_URL": "https://cp.example.org"}).session_cookie_secure is True


def test_the_video_base_url_and_upload_limit_are_checked(tmp_path):
    base = {"CAREPATH_INSTANCE_PATH": str(tmp_path)}
    assert load_settings(base).video_base_url == "https://meet.jit.si"
    with pytest.raises(ConfigError, match="CAREPATH_VIDEO_BASE_URL"):
        load_settings({**base, "CAREPATH_VIDEO_BASE_URL": "meet.clinic"})
    with pytest.raises(ConfigError, match="CAREPATH_UPLOAD_MAX_MB"):
        load_settings({**base, "CAREPATH_UPLOAD_MAX_MB": "-5"})


def test_the_workflow_cache_is_bounded_by_memory_and_zero_switches_it_off(tmp_path):
    from engine.workflow.cache import BYTES_PER_STATE_CHAR, Entry, WorkflowCache
    from engine.workflow.persistence import Stored

    base = {"CAREPATH_INSTANCE_PATH": str(tmp_path)}
    assert load_settings(base).workflow_cache_mb == 64
    assert load_settings({**base, "CAREPATH_WORKFLOW_CACHE_MB": "0"}).workflow_cache_mb == 0
    with pytest.raises(ConfigError, match="CAREPATH_WORKFLOW_CACHE_MB"):
        load_settings({**base, "CAREPATH_WORKFLOW_CACHE_MB": "lots"})

    def entry(chars: int) -> Entry:
        return Entry(1, 1, "h", "x" * chars, object(), None, Stored("x" * chars, {}, 0))

    megabyte = 1024 * 1024 // BYTES_PER_STATE_CHAR  # state characters taken to fill one MB
    cache = WorkflowCache(megabytes=1)
    for instance_id in range(4):
        cache.put(instance_id, entry(megabyte // 3))
    assert len(cache) == 3  # the fourth pushed out the least recently stepped
    assert cache.take(0, 1, 1, "h", "x" * (megabyte // 3)) is None
    assert cache.take(3, 1, 1, "h", "x" * (megabyte // 3)) is not None
    cache.put(9, entry(megabyte * 2))  # larger than the whole budget: not kept
    assert cache.take(9, 1, 1, "h", "x" * megabyte * 2) is None
    cache.resize(0)
    assert len(cache) == 0 and cache.used == 0
    cache.put(7, entry(10))
    assert cache.take(7, 1, 1, "h", "x" * 10) is None


def test_script_limits_default_to_two_seconds_and_256_mb_and_refuse_nonsense(tmp_path):
    base = {"CAREPATH_INSTANCE_PATH": str(tmp_path)}
    settings = load_settings(base)
    assert (settings.script_time_limit, settings.script_memory_mb) == (2.0, 256)
    tuned = load_settings({**base, "CAREPATH_SCRIPT_TIME_LIMIT": "0.5", "CAREPATH_SCRIPT_MEMORY_MB": "64"})
    assert (tuned.script_time_limit, tuned.script_memory_mb) == (0.5, 64)
    for name, value in (("SCRIPT_TIME_LIMIT", "0"), ("SCRIPT_TIME_LIMIT", "soon"), ("SCRIPT_MEMORY_MB", "-1")):
        with pytest.raises(ConfigError, match=f"CAREPATH_{name}"):
            load_settings({**base, f"CAREPATH_{name}": value})


def test_the_claim_lease_defaults_to_a_minute_and_refuses_nonsense(tmp_path):
    base = {"CAREPATH_INSTANCE_PATH": str(tmp_path)}
    assert load_settings(base).claim_lease_seconds == 60.0
    assert load_settings({**base, "CAREPATH_CLAIM_LEASE_SECONDS": "10"}).claim_lease_seconds == 10.0
    for value in ("0", "-5", "a while"):
        with pytest.raises(ConfigError, match="CAREPATH_CLAIM_LEASE_SECONDS"):
            load_settings({**base, "CAREPATH_CLAIM_LEASE_SECONDS": value})
