"""Test runs of a draft in a sandbox, before anyone real sees it.

The walk runs in a child process (engine.studio.sandbox_run) with its own SQLite database in a
temporary folder and its own simulated clock: the platform clock is process-wide, so moving it inside
the web process would move every request's time; a child also keeps the workflow caches apart and can be
stopped when a pathway loops. The job handed over holds the draft, the latest files of every other model
(for call activities), the names of the real connectors (each replaced by a stub) and the analyst's
start data and service results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import now
from engine.i18n import N_, UserError
from engine.studio.files import check_files
from engine.workflow import ConnectorRegistry, limits
from engine.workflow.deploy import latest_versions
from engine.workflow.validation import form_check_module

# The walk's scripts each stop at the platform's script time limit (engine/workflow/limits.py), so a
# looping model ends its test run in seconds; this bounds the whole walk (deploys, many steps) besides.
TIMEOUT_SECONDS = 30
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class TestRun:
    __test__ = False  # not a pytest class

    status: str  # completed | error | waiting | stuck | limit | invalid
    steps: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


def _library(session: Session, model_id: str) -> dict[str, dict[str, str]]:
    return {v.process_model_id: dict(v.files) for v in latest_versions(session, except_model=model_id)}


def test_run(
    session: Session,
    model_id: str,
    files: Mapping[str, object],
    connectors: ConnectorRegistry,
    start_data: Mapping[str, Any] | None = None,
    service_results: Mapping[str, Any] | None = None,
) -> TestRun:
    texts = check_files(files)
    if start_data is not None and not isinstance(start_data, Mapping):
        raise UserError(N_("The start data must be a JSON object."))
    if service_results is not None and not isinstance(service_results, Mapping):
        raise UserError(N_("The service results must be a JSON object: operator -> result."))
    job = {
        "model_id": model_id,
        "files": texts,
        "library": _library(session, model_id),
        "operators": sorted(connectors.names()),
        "service_results": dict(service_results or {}),
        "start_data": dict(start_data or {}),
        "start": now().isoformat(),
        "limits": {"seconds": limits.LIMITS.seconds, "megabytes": limits.LIMITS.megabytes},
        # The child checks forms as this process does (the check comes from a layer above the engine).
        "imports": [name for name in (form_check_module(),) if name],
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREPATH_")}  # no real database, no mail
    try:
        done = subprocess.run(  # noqa: S603 - our own module; the job goes through stdin
            [sys.executable, "-m", "engine.studio.sandbox_run"], input=json.dumps(job).encode("utf-8"),
            capture_output=True, timeout=TIMEOUT_SECONDS, cwd=ROOT, env=env, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise UserError(
            N_("The test run took longer than %(seconds)s seconds and was stopped."), seconds=TIMEOUT_SECONDS
        ) from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise UserError(N_("The test run failed: %(reason)s"), reason=reason[0][:300])
    result = json.loads(done.stdout)
    return TestRun(result["status"], result["steps"], result["problems"])
