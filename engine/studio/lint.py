"""bpmnlint's recommended rules, run with the project's Node on one BPMN document.

The linter is an npm package (package.json, installed by `make install`); the small script beside this
module feeds it the XML on standard input and prints findings as JSON. Without Node or the package the
studio still validates with the engine's own checks and says that lint did not run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "lint" / "bpmnlint_run.cjs"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class LintFinding:
    rule: str
    category: str  # "error" or "warn", as bpmnlint's recommended configuration says
    element: str | None
    message: str


class LintUnavailable(Exception):
    """Node or bpmnlint is missing, or the linter failed on its own; the reason is the text."""


def available() -> bool:
    return shutil.which("node") is not None and (NODE_MODULES / "bpmnlint").is_dir()


def lint_bpmn(xml: str) -> list[LintFinding]:
    if not available():
        raise LintUnavailable("bpmnlint is not installed (run make install)")
    try:
        done = subprocess.run(  # noqa: S603 - fixed script, the XML goes through stdin only
            ["node", str(SCRIPT)],
            input=xml.encode("utf-8"),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise LintUnavailable("bpmnlint took too long") from exc
    if done.returncode != 0:
        raise LintUnavailable(
            done.stderr.decode("utf-8", "replace")[:500] or f"bpmnlint exited {done.returncode}"
        )
    return [
        LintFinding(str(item["rule"]), str(item["category"]), item.get("id"), str(item["message"]))
        for item in json.loads(done.stdout)
    ]
