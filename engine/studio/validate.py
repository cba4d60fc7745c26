"""Validating a model before it is deployed: the engine's own checks (parse errors, missing forms,
unknown connectors, unsafe scripts, lanes that are no role, SpiffWorkflow's parser), the form schemas,
and bpmnlint. Every finding names its file and, where there is one, the element to highlight.

Engine problems and lint errors block a deploy; lint warnings are shown and do not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine.i18n import N_
from engine.studio import lint
from engine.studio.files import check_files
from engine.workflow import ConnectorRegistry, DeployError, deploy_model

ERROR, WARNING = "error", "warning"
# (path, text) -> reasons the form cannot be rendered; the web layer passes forms.check_schema here,
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
    if check_form is not None:
        for path, text in sorted(texts.items()):
            if path.endswith(".json") and not _is_ui_schema(path) and path != "model.json":
                findings.extend(
                    Finding(path, None, N_("%(reason)s"), {"reason": r}, ERROR, "form")
                    for r in check_form(path, text)
                )
    findings.extend(_engine_findings(session, model_id, texts, connectors))
    report = Report(findings, texts)
    unparsed = {f.file for f in findings if f.source == "engine" and f.message.startswith("Line ")}
    for path, text in sorted(texts.items()):
        if path.endswith(".bpmn") and path not in unparsed:
            try:
                for item in lint.lint_bpmn(text):
                    severity = ERROR if item.category == "error" else WARNING
                    report.findings.append(
                        Finding(path, item.element, item.message, {"rule": item.rule}, severity, "lint")
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


def _is_ui_schema(path: str) -> bool:
    return path.endswith(("uischema.json", "-ui.json"))
