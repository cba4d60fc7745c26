"""Validating a model before it is deployed: the engine's own checks (parse errors, missing forms and
forms that cannot be shown, unknown connectors, unsafe scripts, SpiffWorkflow's parser), and bpmnlint.
Every finding names its file and, where there is one, the element to highlight.

One validator: the studio, its import and `carepath deploy` block on exactly the engine's problems
(deploy_model runs the same checks, forms included). bpmnlint's findings, whatever category its
recommended configuration gives them (a missing label is an "error" there), are warnings: shown, and
never a reason to refuse a model the CLI would deploy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine.studio import lint
from engine.studio.files import check_files
from engine.workflow import ConnectorRegistry, DeployError, deploy_model

ERROR, WARNING = "error", "warning"
# Kept for callers: forms are now checked by deploy_model itself (per task, with its UI schema), the
# same for the CLI and the studio. (path, text) -> reasons; the web layer passed forms.check_schema here,
# since the engine does not import the forms package.
FormChecker = Callable[[str, str], list[str]]


@dataclass(frozen=True)
class Finding:
    file: str
    element: str | None
    message: str  # English msgid (N_), or lint's own English text with source "lint"
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = ERROR
    source: str = "engine"  # engine | form | lint

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    findings: list[Finding]
    files: dict[str, str]
    lint_ran: bool = True
    lint_note: str = ""

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def elements(self) -> list[str]:
        return sorted({f.element for f in self.findings if f.element})


def from_deploy_error(error: DeployError, source: str = "engine") -> list[Finding]:
    return [Finding(p.file, p.element, p.message, dict(p.params), ERROR, source) for p in error.problems]


def validate(
    session: Session,
    model_id: str,
    files: Mapping[str, object],
    connectors: ConnectorRegistry,
    check_form: FormChecker | None = None,
) -> Report:
    """Every problem found at once; nothing is written (the trial deploy runs in a rolled-back savepoint)."""
    try:
        texts = check_files(files)
    except DeployError as exc:
        return Report(from_deploy_error(exc), {}, lint_ran=False)
    findings: list[Finding] = []
    findings.extend(_engine_findings(session, model_id, texts, connectors))
    report = Report(findings, texts)
    unparsed = {f.file for f in findings if f.source == "engine" and f.message.startswith("Line ")}
    for path, text in sorted(texts.items()):
        if path.endswith(".bpmn") and path not in unparsed:
            try:
                for item in lint.lint_bpmn(text):
                    report.findings.append(
                        Finding(path, item.element, item.message, {"rule": item.rule}, WARNING, "lint")
                    )
            except lint.LintUnavailable as exc:
                report.lint_ran, report.lint_note = False, str(exc)
                break
    return report


def _engine_findings(
    session: Session, model_id: str, texts: dict[str, str], connectors: ConnectorRegistry
) -> list[Finding]:
    savepoint = session.begin_nested()
    try:
        deploy_model(session, model_id, texts, connectors=connectors)
    except DeployError as exc:
        return from_deploy_error(exc)
    finally:
        savepoint.rollback()
    return []

