"""Deploy-time checks: a model is compiled here, and every problem names file, element and reason.

Checked, in this order, so that one upload reports as much as it can at once:
XML that does not parse (with the line), JSON that does not parse, scripts and expressions the sandbox
refuses, user and manual tasks pointing at a missing form or at a form that cannot be shown (the
`formJsonSchemaFilename` property names the form, `formUiSchemaFilename` its UI schema, whatever the
files are called; the check is the forms package's, installed when it is imported, see
`install_form_check`), unknown
service operators, cycle timers (unsupported: loop back through a duration timer instead), event-based
gateways waiting for more than one timer or one message, and finally
whatever SpiffWorkflow's own parser rejects (schema errors, unknown call targets, DMN problems).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.i18n import N_, UserError, render_message
from engine.workflow import sandbox, spiff

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
EXEC_TAGS = frozenset({"script", "preScript", "postScript"})
EVAL_TAGS = frozenset(
    {"conditionExpression", "timeDate", "timeDuration", "loopCardinality", "completionCondition",
     "loopCondition", "messagePayload", "formalExpression"}
)  # fmt: skip
HUMAN_TASKS = frozenset({"userTask", "manualTask"})
FORM_PROPERTY, UI_PROPERTY = "formJsonSchemaFilename", "formUiSchemaFilename"
# (schema, ui schema) -> the reasons the form cannot be shown, each a message with its parameters
# (engine.i18n.nested_message); [] when it renders. The engine does not import `forms` (forms sits above
# it), so `forms` installs its check here when it is imported; every process that deploys imports it (the
# web app, the CLI, the studio's sandbox, the tests' conftest), whether or not a Flask app exists.
FormCheck = Callable[[Any, Any], list[dict[str, object]]]
_FORM_CHECK: list[FormCheck] = []


def install_form_check(check: FormCheck) -> None:
    _FORM_CHECK[:] = [check]


def form_check_module() -> str | None:
    """The module whose import installed the form check: a child process (the studio's test run)
    imports it too, so it checks forms as this process does."""
    return _FORM_CHECK[0].__module__ if _FORM_CHECK else None


class FormCheckMissing(RuntimeError):
    """A model with a form was deployed in a process that never imported `forms`: refusing beats
    deploying a form nobody checked (and beats a result that depends on what was imported before)."""


@dataclass(frozen=True)
class Problem:
    file: str
    element: str | None
    message: str  # N_ msgid
    params: dict[str, object] = field(default_factory=dict)

    def reason(self, translate: Callable[[str], str] | None = None) -> str:
        """The message with its parameters (nested messages included), in `translate`'s language."""
        return render_message(self.message, self.params, translate)

    @property
    def text(self) -> str:
        where = f"{self.file}, {self.element}" if self.element else self.file
        return f"{where}: {self.reason()}"


class DeployError(UserError):
    """The model was refused; nothing was written. `problems` lists each reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(N_("The pathway cannot be deployed: %(count)s problem(s)."), count=len(problems))
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(p.text for p in self.problems)


@dataclass
class Compiled:
    primary_process_id: str
    specs: spiff.Specs
    process_ids: list[str]
    process_sources: dict[str, int]  # process id -> version id, for processes borrowed from other models


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _element_id(node: Any) -> str | None:
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def compile_model(
    model_id: str,
    files: Mapping[str, str],
    operators: Iterable[str],
    library: Mapping[str, tuple[int, Mapping[str, str]]] | None = None,
    primary_process_id: str | None = None,
) -> Compiled:
    """Check and parse a model's files, or raise DeployError with every problem found.

    `library` maps a process id defined by another deployed model to (version id, that version's files),
    so a call activity can reach a shared pathway such as a consultation session.
    """
    problems: list[Problem] = []
    documents: dict[str, Any] = {}
    for path, text in sorted(files.items()):
        if path.endswith((".bpmn", ".dmn")):
            try:
                documents[path] = spiff.parse_xml(text)
            except etree.XMLSyntaxError as exc:
                problems.append(
                    Problem(path, None, N_("Line %(line)s: %(reason)s"), {"line": exc.lineno, "reason": exc.msg})
                )
        elif path.endswith(".json"):
            problems.extend(_check_json(path, text))
    operator_names = frozenset(operators)
    for path, root in documents.items():
        problems.extend(_check_document(path, root, files, operator_names))
    if not any(p.endswith(".bpmn") for p in documents) and not problems:
        problems.append(Problem("", None, N_("The model has no BPMN file.")))
    if problems:
        raise DeployError(problems)
    return _parse(model_id, documents, library or {}, primary_process_id)


def _check_json(path: str, text: str) -> list[Problem]:
    try:
        json.loads(text)
    except ValueError as exc:
        return [Problem(path, None, N_("Not valid JSON: %(reason)s"), {"reason": str(exc)})]
    return []


def _check_task_form(path: str, element: str | None, files: Mapping[str, str], schema_path: str,
                     ui_path: str | None) -> list[Problem]:
    """The form a task shows must render: checked with the UI schema the task pairs it with."""
    try:
        schema = json.loads(files[schema_path])
        ui = json.loads(files[ui_path]) if ui_path else None
    except ValueError:
        return []  # reported by _check_json
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        return [Problem(schema_path, element, N_('A form must be a JSON schema of "type": "object".'))]
    if ui is not None and not isinstance(ui, dict):
        return [Problem(ui_path or "", element, N_("A UI schema must be a JSON object."))]
    if not _FORM_CHECK:
        raise FormCheckMissing("no form check installed: import forms before deploying (see install_form_check)")
    return [
        Problem(schema_path, element, N_("The form cannot be shown: %(reason)s"), {"reason": reason})
        for reason in _FORM_CHECK[0](schema, ui)
    ]


def _check_document(path: str, root: Any, files: Mapping[str, str], operators: frozenset[str]) -> list[Problem]:
    problems: list[Problem] = []
    lanes = {ref.text: ref.getparent().get("name") for ref in root.iter() if _local(ref.tag) == "flowNodeRef"}
    for node in root.iter():
        tag = _local(node.tag)
        if tag in EXEC_TAGS or tag in EVAL_TAGS or (tag == "expression" and node.getparent() is not None):
            if tag == "expression" and etree.QName(node).namespace != SPIFF_NS:
                continue
            problems.extend(_check_code(path, node, node.text or "", "exec" if tag in EXEC_TAGS else "eval"))
        elif tag == "text" and path.endswith(".dmn"):
            problems.extend(_check_dmn_cell(path, node))
        elif tag == "parameter" and etree.QName(node).namespace == SPIFF_NS and node.get("value"):
            problems.extend(_check_code(path, node, node.get("value"), "eval"))
        elif tag == "timeCycle":
            problems.append(
                Problem(path, _element_id(node), N_("Cycle timers are not supported; loop back through a duration timer."))
            )
        elif tag == "eventBasedGateway":
            problems.extend(_check_event_gateway(path, root, node))
        elif tag in HUMAN_TASKS:
            problems.extend(_check_human_task(path, node, lanes.get(node.get("id")), files))
        elif tag == "serviceTaskOperator" and node.get("id") not in operators:
            problems.append(
                Problem(path, _element_id(node.getparent()), N_("Unknown service operator %(name)s."), {"name": node.get("id")})
            )
    return problems


def _check_event_gateway(path: str, root: Any, gateway: Any) -> list[Problem]:
    """An event-based gateway waits as one task: SpiffWorkflow keeps one timer value per task, and the
    engine indexes one timer and one message per waiting task, so at most one of each may follow it."""
    by_id = {node.get("id"): node for node in root.iter() if node.get("id")}
    targets = [
        by_id.get(flow.get("targetRef"))
        for flow in root.iter()
        if _local(flow.tag) == "sequenceFlow" and flow.get("sourceRef") == gateway.get("id")
    ]
    kinds = [_local(d.tag) for t in targets if t is not None for d in t if _local(d.tag).endswith("EventDefinition")]
    if kinds.count("timerEventDefinition") > 1 or kinds.count("messageEventDefinition") > 1:
        return [
            Problem(path, gateway.get("id"), N_("An event-based gateway may wait for at most one timer and one message."))
        ]
    return []


def _check_code(path: str, node: Any, text: str, mode: str) -> list[Problem]:
    if not text.strip():
        return []
    reason = sandbox.find_unsafe(text.strip() if mode == "eval" else text, mode)
    if reason is None:
        return []
    message, params = reason
    return [Problem(path, _element_id(node), message, params)]


def _check_dmn_cell(path: str, node: Any) -> list[Problem]:
    parent = _local(node.getparent().tag) if node.getparent() is not None else ""
    text = (node.text or "").strip()
    if parent == "inputExpression" or parent == "outputEntry":
        return _check_code(path, node, text, "eval")
    if parent != "inputEntry" or text in ("", "-"):
        return []
    # The DMN engine reads "> 5" as "input > 5" and "?" as the input value; check what it will run.
    candidate = text.replace("?", "dmninputexpr")
    first = sandbox.find_unsafe(candidate, "eval")
    if first is not None and first[0].startswith("Syntax error"):
        return _check_code(path, node, f"dmninputexpr {candidate}", "eval")
    return _check_code(path, node, candidate, "eval")


def _check_human_task(path: str, node: Any, lane: str | None, files: Mapping[str, str]) -> list[Problem]:
    """A task in no lane belongs to the instance's starter and one in a lane that is no role to a work
    group (engine.workflow.access), so lanes are not checked; its form must exist and render."""
    element = node.get("id")
    problems = []
    named = {prop.get("name"): prop.get("value") or "" for prop in node.iter(f"{{{SPIFF_NS}}}property")}
    found: dict[str, str | None] = {}
    for key in (FORM_PROPERTY, UI_PROPERTY):
        if key in named:
            found[key] = resolve_form_path(files, named[key])
            if found[key] is None:
                problems.append(Problem(path, element, N_("The form file %(name)s is missing."), {"name": named[key]}))
    schema_path = found.get(FORM_PROPERTY)
    if schema_path is not None and not problems:
        problems.extend(_check_task_form(path, element, files, schema_path, found.get(UI_PROPERTY)))
    return problems


def resolve_form_path(files: Mapping[str, str], name: str) -> str | None:
    """Forms are named as in SpiffArena (a bare file name); in our folders they live under forms/."""
    for candidate in (name, f"forms/{name}"):
        if name and candidate in files:
            return candidate
    return None


def _parse(
    model_id: str,
    documents: dict[str, Any],
    library: Mapping[str, tuple[int, Mapping[str, str]]],
    primary: str | None,
) -> Compiled:
    sources: dict[str, int] = {}
    try:
        parser = spiff.make_parser(documents)
        own = list(parser.get_process_ids())
        _borrow(parser, library, sources)
        absent = sorted(p for p in parser.get_process_dependencies() if p not in parser.process_parsers)
        if absent:  # every missing one at once, named, before Spiff stops at the first
            raise DeployError([
                Problem("", _caller_of(documents, name), N_(
                    "No deployed pathway defines the called process %(name)s: deploy the model that defines "
                    "it first, or both together."), {"name": name})
                for name in absent
            ])
        primary = primary or _primary_process(model_id, parser, own)
        spec = parser.get_spec(primary)
        subprocess_specs = parser.get_subprocess_specs(primary)
    except ValidationException as exc:
        raise DeployError([_from_validation(exc)]) from exc
    except SpiffWorkflowException as exc:
        raise DeployError([Problem("", None, N_("%(reason)s"), {"reason": str(exc)})]) from exc
    missing = sorted(name for name, sub in subprocess_specs.items() if sub is None)
    if missing:
        raise DeployError(
            [Problem("", name, N_("No deployed pathway defines the called process %(name)s."), {"name": name}) for name in missing]
        )
    return Compiled(primary, (spec, subprocess_specs), own, sources)


def _caller_of(documents: dict[str, Any], process_id: str) -> str | None:
    for root in documents.values():
        for node in root.iter():
            if _local(node.tag) == "callActivity" and node.get("calledElement") == process_id:
                return node.get("id")
    return None


def _borrow(parser: Any, library: Mapping[str, tuple[int, Mapping[str, str]]], sources: dict[str, int]) -> None:
    """Adds the files of other models whose processes our call activities reach (and theirs, in turn)."""
    while True:
        wanted = sorted(p for p in parser.get_process_dependencies() if p not in parser.process_parsers and p in library)
        if not wanted:
            return
        for process_id in wanted:
            if process_id in parser.process_parsers:
                continue  # arrived with the files of a model borrowed just before
            version_id, files = library[process_id]
            before = set(parser.process_parsers)
            for path, text in sorted(files.items()):
                if path.endswith(".bpmn"):
                    parser.add_bpmn_xml(spiff.parse_xml(text), filename=f"{process_id}:{path}")
                elif path.endswith(".dmn"):
                    parser.add_dmn_xml(spiff.parse_xml(text), filename=f"{process_id}:{path}")
            for added in set(parser.process_parsers) - before:
                sources[added] = version_id


def _primary_process(model_id: str, parser: Any, own: list[str]) -> str:
    """The process a model starts: the one named like the model, else the one nobody calls."""
    if model_id in own:
        return model_id
    called = parser.get_process_dependencies()
    roots = [p for p in own if p not in called]
    if len(roots) == 1:
        return roots[0]
    raise ValidationException(
        f"Cannot tell which process starts the model: name one {model_id!r} (found {', '.join(own) or 'none'})"
    )


def _from_validation(exc: ValidationException) -> Problem:
    reason = str(exc).split("\n")[0]
    params: dict[str, object] = {"reason": reason}
    if exc.line_number:
        params["line"] = exc.line_number
        return Problem(exc.file_name or "", exc.id or None, N_("Line %(line)s: %(reason)s"), params)
    return Problem(exc.file_name or "", exc.id or None, N_("%(reason)s"), params)
