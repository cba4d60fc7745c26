"""`carepath run`'s gunicorn settings recycle a stuck request: its worker is killed, logged, replaced."""

from __future__ import annotations

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
        deadline = time.monotonic() + 20
        while _get(f"http://127.0.0.1:{port}/", 2) != "ok":  # a fresh worker answers
            assert time.monotonic() < deadline, "no worker came back"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)
