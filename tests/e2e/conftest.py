"""Browser tests: the real app on a free port, mail delivered by the outbox worker, Debian's Chromium."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine.config import Settings, load_settings
from engine.db import create_all, transaction
from engine.demo import ensure_demo_accounts
from webui import create_app

CHROMIUM = os.environ.get("CAREPATH_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DEMO_PASSWORD = "demo password 42"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    settings: Settings
    app: object

    def screenshot(self, page: object, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    port = _free_port()
    instance = tmp_path_factory.mktemp("instance")
    settings = load_settings({
        "CAREPATH_INSTANCE_PATH": str(instance), "CAREPATH_PORT": str(port),
        "CAREPATH_DEMO_PASSWORD": DEMO_PASSWORD, "CAREPATH_DEFAULT_LOCALE": "en",
    })
    app = create_app({"RATELIMIT_ENABLED": False}, settings=settings)
    # tests/test_migrations.py proves the migrations build exactly this schema.
    create_all(app.extensions["carepath"].engine)
    sessions = app.extensions["carepath"].sessions
    with transaction(sessions) as session:
        ensure_demo_accounts(session, DEMO_PASSWORD)
    server = make_server("127.0.0.1", port, app, threaded=True)
    threads = [threading.Thread(target=server.serve_forever, daemon=True)]
    stop = threading.Event()
    threads.append(threading.Thread(target=_deliver_mail, args=(settings, sessions, stop), daemon=True))
    for thread in threads:
        thread.start()
    yield LiveServer(f"http://127.0.0.1:{port}", settings, app)
    stop.set()
    server.shutdown()


def _deliver_mail(settings: Settings, sessions: object, stop: threading.Event) -> None:
    """What the Prefect outbox deployment does under `make run`, run in-process every half second."""
    from workflows.notifications import deliver_all_now

    while not stop.wait(0.5):
        try:
            deliver_all_now(settings)
        except Exception:  # keep delivering; the failure shows in the test log
            logging.getLogger(__name__).exception("outbox delivery failed")


@pytest.fixture(scope="session")
def playwright_chromium() -> Iterator[object]:
    """The one Playwright of the session (a second sync Playwright in the same thread is refused): tests
    that need Chromium with flags of their own (the device check's fake media) launch theirs from it."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright.chromium


@pytest.fixture(scope="session")
def browser(playwright_chromium) -> Iterator[object]:
    browser = playwright_chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser) -> Iterator[object]:
    contexts = []

    def make(locale: str = "en-US") -> object:
        context = browser.new_context(locale=locale, viewport={"width": 1100, "height": 900})
        context.set_default_timeout(15000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def in_transaction(sessions, work, attempts: int = 5):
    """Run `work(session)` in one transaction, again if SQLite refuses it for a stale snapshot.

    The live server's background threads (mail delivery, timers) commit while a test sets up data from the
    test thread; a setup transaction that read before such a commit cannot write (the same race the web
    app answers by re-running the request)."""
    import time

    from sqlalchemy.exc import OperationalError

    from engine.db import transaction

    for attempt in range(1, attempts + 1):
        try:
            with transaction(sessions) as session:
                return work(session)
        except OperationalError as error:
            if attempt == attempts or "database is locked" not in str(error.orig):
                raise
            time.sleep(0.1 * attempt)
    return None
