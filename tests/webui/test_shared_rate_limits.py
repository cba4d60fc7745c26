"""Flask-Limiter's flood guards counted in the application's database (webui/rate_store.py), so that
several web processes and hosts allow the configured rate together: a post counted by one process is
counted when another process decides, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from engine import rate_limits
from engine.config import load_settings
from engine.db import make_session_factory
from webui import create_app, rate_storage_uri
from webui.rate_store import URI


def web_process(tmp_path, name: str, db_engine):
    """One web process of a host: its own app (and Flask-Limiter storage object) on the shared database."""
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path / name), "CAREPATH_DEFAULT_LOCALE": "en",
                              "CAREPATH_LOGIN_RATE_LIMIT": "3 per minute"})
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": URI}, settings=settings)
    runtime = app.extensions["carepath"]
    runtime.engine.dispose()
    runtime.engine, runtime.sessions = db_engine, make_session_factory(db_engine)
    return app


def post_login(app) -> int:
    return app.test_client().post("/account/login", data={"email": "a@b.org", "password": "x"}).status_code


def test_the_login_flood_limit_holds_across_web_processes(tmp_path, db_engine, clock):
    one = web_process(tmp_path, "one", db_engine)
    first = [post_login(one), post_login(one)]
    # The next process starts with a storage object of its own: what it knows comes from the database.
    two = web_process(tmp_path, "two", db_engine)

    assert first + [post_login(two), post_login(two)] == [200, 200, 200, 429]


def test_a_counter_counts_within_its_window_and_starts_again_after_it(sessions, clock):
    key = "LIMITER/10.0.0.1/auth.login/3/1/minute"
    assert [rate_limits.hit(sessions, key, 60) for _ in range(3)] == [1, 2, 3]
    assert rate_limits.hits(sessions, key) == 3
    assert rate_limits.window_end(sessions, key) == clock.current + timedelta(seconds=60)

    clock.advance(timedelta(seconds=61))

    assert rate_limits.hits(sessions, key) == 0 and rate_limits.window_end(sessions, key) is None
    assert rate_limits.hit(sessions, key, 60, amount=2) == 2
    rate_limits.clear(sessions, key)
    assert rate_limits.hits(sessions, key) == 0


def test_ended_windows_are_forgotten_and_long_keys_are_counted_whole(sessions, clock):
    long_key = "LIMITER/" + "x" * 400
    assert rate_limits.hit(sessions, long_key, 60) == 1
    assert rate_limits.hit(sessions, long_key + "y", 60) == 1  # not cut to the same key
    clock.advance(rate_limits.KEEP_ENDED + timedelta(minutes=2))
    rate_limits.hit(sessions, "fresh", 60)

    assert rate_limits.forget_ended(sessions) == 2
    assert rate_limits.hits(sessions, "fresh") == 1


def test_the_database_storage_is_chosen_for_postgresql_and_memory_for_one_sqlite_host(tmp_path):
    base = {"CAREPATH_INSTANCE_PATH": str(tmp_path)}
    assert rate_storage_uri(load_settings(base)) == "memory://"
    shared = load_settings({**base, "CAREPATH_DATABASE_URL": "postgresql://carepath@db-host/carepath"})
    assert rate_storage_uri(shared) == URI
