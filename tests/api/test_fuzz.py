"""schemathesis against the JSON API: the real app served on loopback, fuzzed as a patient and as a doctor
with every check, and nothing may be found. Bounded (a fixed number of examples per operation, a fixed
seed so that a finding can be replayed; CAREPATH_FUZZ_SEED / CAREPATH_FUZZ_EXAMPLES widen a local run)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from engine.apitokens import service as tokens
from engine.db import transaction
from tests.tasks.conftest import SYMPTOM_CHECK, start, task_of

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = os.environ.get("CAREPATH_FUZZ_EXAMPLES", "25")
SEED = os.environ.get("CAREPATH_FUZZ_SEED", "1616")
REPORTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass  # thousands of fuzzed requests; schemathesis reports what matters


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(app, db_engine) -> Iterator[str]:
    if db_engine.dialect.name != "sqlite":
        pytest.skip("the fuzz runs once, on SQLite (where ids beyond its integer range once raised OverflowError)")
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


def _token(app, user) -> str:
    with transaction(app.extensions["carepath"].sessions) as session:
        return tokens.issue(session, session.merge(user), "fuzz")[1]


def _fuzz(url: str, token: str, name: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    REPORTS.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(SCHEMATHESIS), "run", f"{url}/api/v1/openapi.json", "--checks", "all", "--max-examples", EXAMPLES,
         "--seed", SEED, "--workers", "1", "--no-shrink", "--phases", "examples,coverage,fuzzing",
         "-H", f"Authorization: Bearer {token}", "--request-timeout", "20",
         "--report", "junit", "--report-junit-path", str(REPORTS / f"{name}.xml")],
        capture_output=True, text=True, timeout=300, cwd=workdir, env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )  # fmt: skip


def test_schemathesis_finds_nothing_as_a_patient_or_as_a_doctor(app, cast, deploy, served, tmp_path):
    deploy(SYMPTOM_CHECK)
    # Real objects to find: a patient task, then (after it) a doctor's queue task of the same instance.
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    start(app, "symptom_check", cast.patient, cast.patient)
    assert task_of(app, cast.patient, iid)
    for name, user in (("patient", cast.patient), ("doctor", cast.doctor)):
        result = _fuzz(served, _token(app, user), name, tmp_path)
        (REPORTS / f"{name}.txt").write_text(result.stdout + result.stderr)
        assert result.returncode == 0, f"schemathesis as the {name}:\n{result.stdout[-12000:]}\n{result.stderr[-2000:]}"
