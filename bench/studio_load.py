"""How long the studio's modeler page takes to be usable, and where the time goes.

    .venv/bin/python bench/studio_load.py [--runs 5] [--model consultation_duty] [--locale ru] [--gunicorn N]

Runs the real app on loopback (werkzeug, threaded, as the browser tests do; or with --gunicorn N as
`carepath run` serves it: gunicorn with N sync workers and the same arguments) with the pathways of
workflows/bpmn synced, logs in as the demo analyst in Debian's Chromium and opens /studio/<model>/edit
`runs` times in a fresh browser context (cold cache) and then `runs` times in the same context (warm
cache). Prints per run: the HTML's server time (TTFB), DOMContentLoaded, the moment the diagram is drawn
(#studio[data-ready]), the number of requests and bytes transferred, and the slowest resources.
Figures depend on the machine's load: print `uptime` next to them.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from werkzeug.serving import make_server  # noqa: E402

from engine.composition import build_connectors  # noqa: E402
from engine.config import load_settings  # noqa: E402
from engine.db import create_all, transaction  # noqa: E402
from engine.demo import demo_email, ensure_demo_accounts  # noqa: E402
from engine.workflow import sync_folder  # noqa: E402
from webui import create_app  # noqa: E402

PASSWORD = "demo password 42"
CHROMIUM = "/usr/bin/chromium"
BPMN = Path(__file__).resolve().parents[1] / "workflows" / "bpmn"

PROBE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return {
    ttfb: nav.responseStart - nav.requestStart,
    html: nav.responseEnd - nav.startTime,
    dcl: nav.domContentLoadedEventEnd - nav.startTime,
    load: nav.loadEventEnd - nav.startTime,
    requests: res.length + 1,
    bytes: res.reduce((a, r) => a + (r.transferSize || 0), nav.transferSize || 0),
    slow: res.map(r => [Math.round(r.duration), r.transferSize, r.name.replace(location.origin, '')])
             .sort((a, b) => b[0] - a[0]).slice(0, 6),
  };
}"""


def serve(port: int, instance: str, gunicorn_workers: int) -> Callable[[], None]:
    """Starts the app with its data; returns what stops it."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    env = {"CAREPATH_INSTANCE_PATH": instance, "CAREPATH_PORT": str(port), "CAREPATH_DEMO_PASSWORD": PASSWORD,
           "CAREPATH_DEFAULT_LOCALE": "en"}  # fmt: skip
    settings = load_settings(env)
    app = create_app({"RATELIMIT_ENABLED": False}, settings=settings)
    create_all(app.extensions["carepath"].engine)
    sessions = app.extensions["carepath"].sessions
    with transaction(sessions) as session:
        ensure_demo_accounts(session, PASSWORD)
    sync_folder(sessions, BPMN, connectors=build_connectors(settings))
    if gunicorn_workers:
        from webui.cli import gunicorn_arguments

        argv = [sys.executable, "-m", "gunicorn", *gunicorn_arguments(gunicorn_workers, f"127.0.0.1:{port}"),
                "--access-logfile", "/dev/null", "webui.wsgi:app"]  # fmt: skip
        process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

        def stop() -> None:
            process.terminate()
            process.wait(30)

        return stop
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.shutdown


def login(page, base: str, locale: str) -> None:
    page.goto(f"{base}/account/login")
    page.get_by_label("Email").fill(demo_email("analyst"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator(f"form.lang button[lang={locale}]").click()
    page.wait_for_load_state()


def one(page, url: str, base: str, locale: str) -> dict:
    if page.request.get(url, max_redirects=0).status != 200:
        # A context restored from storage state is now and then sent to log in again (seen under gunicorn
        # at high load). The check above uses no browser cache; logging in again loads the login page's
        # style sheet and script into it, so that run is a little warmer than cold: it is reported.
        print("(logged in again before a run)")
        login(page, base, locale)
    started = time.perf_counter()
    page.goto(url)
    try:
        page.wait_for_selector("#studio[data-ready=true]", timeout=60000)
    except Exception:
        page.screenshot(path="/tmp/studio_load_failed.png")
        raise
    ready = (time.perf_counter() - started) * 1000
    figures = page.evaluate(PROBE)
    figures["ready"] = ready
    return figures


def report(label: str, runs: list[dict]) -> None:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    each = ", ".join(f"{r['ready']:.0f}" for r in runs)
    print(f"{label}: ready {med('ready'):.0f} ms (runs {each}), "
          f"TTFB {med('ttfb'):.0f} ms, DOMContentLoaded {med('dcl'):.0f} ms, load {med('load'):.0f} ms, "
          f"{runs[-1]['requests']} requests, {runs[-1]['bytes'] / 1024:.0f} KiB transferred")  # fmt: skip
    for duration, size, name in runs[-1]["slow"]:
        print(f"    {duration:5d} ms {size / 1024:7.0f} KiB  {name}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", default="consultation_duty")
    parser.add_argument("--locale", default="ru")
    parser.add_argument("--gunicorn", type=int, default=0, metavar="WORKERS", help="serve with gunicorn")
    args = parser.parse_args()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as instance:
        stop = serve(port, instance, args.gunicorn)
        try:
            base = f"http://127.0.0.1:{port}"
            url = f"{base}/studio/{args.model}/edit"
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
                cold = []
                state = None
                for _ in range(args.runs):
                    context = browser.new_context(storage_state=state) if state else browser.new_context()
                    page = context.new_page()
                    if state is None:
                        login(page, base, args.locale)
                        state = context.storage_state()
                    cold.append(one(page, url, base, args.locale))
                    context.close()
                context = browser.new_context(storage_state=state)
                page = context.new_page()
                one(page, url, base, args.locale)
                warm = [one(page, url, base, args.locale) for _ in range(args.runs)]
                browser.close()
        finally:
            stop()  # gunicorn too when a run fails: it would hold the port and the caller's pipe
    report("cold cache", cold)
    report("warm cache", warm)


if __name__ == "__main__":
    main()
