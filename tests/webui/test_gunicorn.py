"""`carepath run`'s gunicorn settings recycle a stuck request: its worker is killed, logged, replaced."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from webui.cli import gunicorn_arguments

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return f"failed: {exc}"


def test_a_stuck_request_is_ended_logged_and_its_worker_replaced(tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    arguments = gunicorn_arguments(1, f"127.0.0.1:{port}", timeout=2)
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "gunicorn", *arguments, "--error-logfile", str(log), "tests.webui.spinning_app:app"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _stuck_request_ends(port, log)
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_worker_booting_for_longer_than_the_timeout_is_not_killed_but_its_stuck_request_is(tmp_path):
    boot_seconds = 5  # importing the app, against a 2 s timeout
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    arguments = gunicorn_arguments(1, f"127.0.0.1:{port}", timeout=2)
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "gunicorn", *arguments, "--error-logfile", str(log),
         "tests.webui.slow_booting_app:app"],
        cwd=ROOT, env={**os.environ, "BOOT_SECONDS": str(boot_seconds)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _get(f"http://127.0.0.1:{port}/", 1) != "ok":
            assert time.monotonic() < deadline, f"gunicorn did not start: {log.read_text()}"
            time.sleep(0.2)
        assert "WORKER TIMEOUT" not in log.read_text()
        _stuck_request_ends(port, log, boot=boot_seconds)
    finally:
        server.terminate()
        server.wait(timeout=20)


def _stuck_request_ends(port: int, log: Path, boot: float = 0.0) -> None:
    """A request that never returns is ended after the 2 s timeout, logged, and a fresh worker (taking
    `boot` seconds to start) answers again."""
    deadline = time.monotonic() + 30
    while _get(f"http://127.0.0.1:{port}/", 1) != "ok":
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.2)
    began = time.monotonic()
    stuck = _get(f"http://127.0.0.1:{port}/spin", 20)
    ended = time.monotonic() - began
    assert stuck.startswith("failed"), stuck
    assert ended < 2 + 8, f"the stuck request was ended after {ended:.1f} s"
    assert "WORKER TIMEOUT" in log.read_text()
    deadline = time.monotonic() + 20 + boot
    while _get(f"http://127.0.0.1:{port}/", 2) != "ok":  # a fresh worker answers
        assert time.monotonic() < deadline, "no worker came back"
        time.sleep(0.2)


RECORDING_API = """
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        print(self.command, self.path, flush=True)
        self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers()
    do_GET = do_POST = do_PATCH = do_PUT = _answer
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def test_a_worker_recycled_right_after_a_request_hands_its_wake_over_first(tmp_path):
    api_port, port = _free_port(), _free_port()
    seen = tmp_path / "api.log"
    api = subprocess.Popen([sys.executable, "-c", RECORDING_API, str(api_port)], stdout=seen.open("w"))  # noqa: S603, SIM115
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CAREPATH_"))}
    env.update({"CAREPATH_INSTANCE_PATH": str(tmp_path / "instance"),
                "CAREPATH_PREFECT_API_URL": f"http://127.0.0.1:{api_port}/api"})
    # One request per worker: it exits right after answering, while its wake may still be waiting.
    arguments = [*gunicorn_arguments(1, f"127.0.0.1:{port}"), "--max-requests", "1", "--max-requests-jitter", "0"]
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "gunicorn", *arguments, "tests.webui.waking_app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # One patient request: a worker that boots (imports Prefect) takes a while on a busy machine, and a
        # request given up meanwhile would still use up its only request.
        deadline = time.monotonic() + 180
        while _get(f"http://127.0.0.1:{port}/", 120) != "woken":
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        deadline = time.monotonic() + 60
        while "/api/" not in seen.read_text():  # its first request (Prefect asks for a CSRF token first)
            assert time.monotonic() < deadline, f"the wake never reached the API: {seen.read_text()!r}"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
        api.terminate()
        api.wait(timeout=30)


def test_carepath_runs_access_log_goes_to_its_file_not_the_console(tmp_path):
    port = _free_port()
    access, console = tmp_path / "access.log", tmp_path / "console.txt"
    arguments = gunicorn_arguments(1, f"127.0.0.1:{port}", access_log=str(access))
    with console.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", "gunicorn", *arguments, "tests.webui.spinning_app:app"],
            cwd=ROOT, stdout=output, stderr=output,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 180
            while _get(f"http://127.0.0.1:{port}/ready", 30) != "ok":
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
            deadline = time.monotonic() + 30
            while "GET /ready" not in (access.read_text() if access.exists() else ""):
                assert time.monotonic() < deadline, "no access log line"
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=20)
    shown = console.read_text()
    assert "Listening at" in shown  # start-up information stays on the console
    assert "GET /ready" not in shown
