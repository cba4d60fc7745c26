"""`carepath deploy FOLDER_OR_FILE`: deploy model(s) from disk as new versions, all or nothing.

PATH may be a model folder (`<model_id>/` with *.bpmn, *.dmn, forms/*.json, optional model.json), a
folder of model folders (deployed together; a model calling another is deployed after it), or a single
.bpmn file. The model id is the folder's (or file's) name with `-` and spaces read as `_`, unless given.
Every problem is reported with its file, element and reason, and then nothing is deployed. Problems are
kept as msgids with their parameters, so the command prints them in the terminal's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from engine import audit
from engine.db import transaction
from engine.i18n import N_, nested_message, render_message
from engine.workflow import ConnectorRegistry, DeployError, deploy_model, latest_version
from engine.workflow.deploy import read_model_folder


@dataclass(frozen=True)
class Deployed:
    model_id: str
    number: int
    changed: bool


Message = tuple[str, dict[str, object]]  # msgid (N_) and its parameters


class DeployFailed(Exception):
    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        super().__init__("\n".join(self.lines()))

    def lines(self, translate: Callable[[str], str] | None = None) -> list[str]:
        """One line per problem, in `translate`'s language (English without)."""
        return [render_message(message, params, translate) for message, params in self.messages]


def model_id_for(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", name.strip().lower().replace("-", "_").replace(" ", "_"))


def read_models(path: Path, model_id: str | None = None) -> dict[str, dict[str, str]]:
    """model id -> files, from a folder, a folder of folders, or one .bpmn file."""
    if path.is_file():
        if path.suffix != ".bpmn":
            raise DeployFailed([(N_("%(name)s: a single file must be a .bpmn file; deploy its folder instead"),
                                 {"name": path.name})])
        return {model_id or model_id_for(path.stem): {path.name: path.read_text(encoding="utf-8")}}
    if any(p.suffix == ".bpmn" for p in path.iterdir() if p.is_file()):
        return {model_id or model_id_for(path.name): read_model_folder(path)}
    folders = [p for p in sorted(path.iterdir()) if p.is_dir() and any(p.glob("*.bpmn"))]
    if not folders:
        raise DeployFailed([(N_("%(path)s: no .bpmn file here, nor in its sub-folders"), {"path": str(path)})])
    if model_id:
        raise DeployFailed([(N_("--model-id applies to one model, not to a folder of models"), {})])
    return {model_id_for(p.name): read_model_folder(p) for p in folders}


def problem_messages(model: str, error: DeployError) -> list[Message]:
    """Each problem of a refused model as one message: model, file, element and the reason."""
    return [
        (N_("%(model)s: file %(file)s, element %(element)s: %(reason)s"),
         {"model": model, "file": p.file or "-", "element": p.element or "-",
          "reason": nested_message(p.message, p.params)})
        for p in error.problems
    ] or [(N_("%(model)s: %(reason)s"), {"model": model, "reason": nested_message(error.message, error.params)})]


def deploy_path(
    session_factory: sessionmaker[Session],
    path: Path,
    connectors: ConnectorRegistry,
    model_id: str | None = None,
    deployed_by: int | None = None,
) -> list[Deployed]:
    """Deploy everything under `path` in one transaction; raises DeployFailed (nothing written)."""
    models = read_models(path, model_id)
    results: list[Deployed] = []
    with transaction(session_factory, immediate=True) as session:  # read, then write: the lock first
        pending = dict(models)
        errors: dict[str, DeployError] = {}
        # Several passes, so that a model whose call activity needs another model of this batch waits for it.
        while pending:
            progressed = False
            for mid, files in list(pending.items()):
                before = latest_version(session, mid)
                try:
                    with session.begin_nested():
                        version = deploy_model(session, mid, files, deployed_by, connectors=connectors)
                except DeployError as exc:
                    errors[mid] = exc
                    continue
                errors.pop(mid, None)
                del pending[mid]
                progressed = True
                changed = before is None or before.id != version.id
                results.append(Deployed(mid, version.number, changed))
                if changed:
                    audit.record(session, "process_deployed", actor_id=deployed_by, object_type="process_model",
                                 object_id=mid, version=version.number, sha256=version.sha256)
            if not progressed:
                break
        if errors:
            session.rollback()
            raise DeployFailed([m for mid in sorted(errors) for m in problem_messages(mid, errors[mid])])
    return results
