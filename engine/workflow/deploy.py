"""Deploying models as immutable versions, and syncing the pathway folders.

Model-folder convention: `workflows/bpmn/<model_id>/` is one model. Its id is the folder name (a slug:
lower-case letters, digits and underscores). It holds `*.bpmn`, `*.dmn` and `forms/*.json` (JSON
schemas named by user tasks' `formJsonSchemaFilename`, and UI schemas by `formUiSchemaFilename`, as a
bare file name like in SpiffArena), plus an optional `model.json` with `{"title", "description",
"process", "patient_start"}` (`patient_start`: `true`, or `{"form": "forms/start.json"}` for a start form
the patient fills first; absent, patients cannot start the model themselves). The model starts the process whose id equals the model id, else `process` from model.json,
else its only process that no call activity of the model calls. A call activity may call a process of
another deployed model (a shared tail such as `consultation_session`); the caller's version then holds a
snapshot of the callee's latest version at deploy time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import transaction
from engine.i18n import N_
from engine.workflow import spiff
from engine.workflow.connectors import ConnectorRegistry, default_registry
from engine.workflow.models import ProcessModel, ProcessModelVersion
from engine.workflow.validation import DeployError, Problem, compile_model

MODEL_ID = re.compile(r"^[a-z][a-z0-9_]{1,99}$")
MODEL_SUFFIXES = (".bpmn", ".dmn", ".json")
MANIFEST = "model.json"
SPIFF_MANIFEST = "process_model.json"  # SpiffArena's
PATIENT_START = "patient_start"
_SPIFF_KEYS = {"display_name": "title", "description": "description", "primary_process_id": "process"}


def files_sha256(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode("utf-8") + b"\0" + files[path].encode("utf-8") + b"\0")
    return digest.hexdigest()


def latest_version(session: Session, model_id: str) -> ProcessModelVersion | None:
    return session.scalars(
        select(ProcessModelVersion)
        .where(ProcessModelVersion.process_model_id == model_id)
        .order_by(ProcessModelVersion.number.desc())
        .limit(1)
    ).first()


def deploy_model(
    session: Session,
    model_id: str,
    files: Mapping[str, bytes | str],
    deployed_by: int | None = None,
    title: str | None = None,
    description: str | None = None,
    connectors: ConnectorRegistry | None = None,
) -> ProcessModelVersion:
    """Validate and store a new version; the latest one if nothing changed. Raises DeployError."""
    if not MODEL_ID.match(model_id):
        raise DeployError([Problem("", None, N_("%(id)s is not a valid model id."), {"id": model_id})])
    texts, manifest, patient_start = _texts(files)
    sha = files_sha256(texts) if patient_start is None else files_sha256({**texts, MANIFEST: json.dumps(patient_start)})
    latest = latest_version(session, model_id)
    if latest is not None and latest.sha256 == sha:
        return latest
    registry = connectors or default_registry
    compiled = compile_model(model_id, texts, registry.names(), _library(session, model_id), manifest.get("process"))
    model = session.get(ProcessModel, model_id)
    title = title or manifest.get("title") or _process_title(compiled) or model_id
    if model is None:
        model = ProcessModel(id=model_id, title=title, description=description or manifest.get("description", ""))
        session.add(model)
    else:
        model.title = title
        if description is not None or "description" in manifest:
            model.description = description or manifest.get("description", "")
    sources: dict[str, int | None] = {pid: None for pid in compiled.process_ids}
    sources.update(compiled.process_sources)
    version = ProcessModelVersion(
        process_model_id=model_id,
        number=(latest.number + 1) if latest else 1,
        files=texts,
        sha256=sha,
        primary_process_id=compiled.primary_process_id,
        process_sources=sources,
        serialized_spec=spiff.dump_specs(*compiled.specs),
        deployed_by=deployed_by,
        patient_start=patient_start,
    )
    session.add(version)
    session.flush()
    return version


def _texts(files: Mapping[str, bytes | str]) -> tuple[dict[str, str], dict[str, str], dict[str, str] | None]:
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for path, content in files.items():
        clean = path.replace("\\", "/").lstrip("/")
        if ".." in clean.split("/"):
            problems.append(Problem(path, None, N_("File names may not leave the model folder.")))
            continue
        try:
            texts[clean] = content.decode("utf-8") if isinstance(content, bytes) else content
        except UnicodeDecodeError:
            problems.append(Problem(path, None, N_("The file is not UTF-8 text.")))
    if problems:
        raise DeployError(problems)
    manifest: dict[str, str] = {}
    if SPIFF_MANIFEST in texts:
        loaded = _manifest_json(SPIFF_MANIFEST, texts.pop(SPIFF_MANIFEST))
        manifest = {ours: str(loaded[theirs]) for theirs, ours in _SPIFF_KEYS.items() if loaded.get(theirs)}
    patient_start = None
    if MANIFEST in texts:
        loaded = _manifest_json(MANIFEST, texts.pop(MANIFEST))
        patient_start = _patient_start(loaded.pop(PATIENT_START, None), texts)
        manifest.update({k: str(v) for k, v in loaded.items()})
    return texts, manifest, patient_start


def _patient_start(value: object, texts: Mapping[str, str]) -> dict[str, str] | None:
    """model.json's `patient_start`: false/absent, true, or {"form": path of a form file of the model}."""
    if value in (None, False):
        return None
    if value is True:
        return {}
    form = value.get("form") if isinstance(value, dict) else None
    if isinstance(form, str) and form in texts and form.endswith(".json"):
        return {"form": form}
    raise DeployError([Problem(MANIFEST, None, N_(
        '"patient_start" must be true, false or {"form": "<a form file of the model>"}.'))])


def _manifest_json(path: str, text: str) -> dict[str, object]:
    try:
        loaded = json.loads(text)
    except ValueError as exc:
        raise DeployError([Problem(path, None, N_("Not valid JSON: %(reason)s"), {"reason": str(exc)})]) from exc
    return loaded if isinstance(loaded, dict) else {}


def _process_title(compiled: object) -> str | None:
    spec = compiled.specs[0]  # type: ignore[attr-defined]
    return spec.description if spec.description and spec.description != spec.name else None


def latest_versions(session: Session, *, except_model: str | None = None) -> list[ProcessModelVersion]:
    """The newest version of every model (but `except_model`): what call activities resolve against."""
    newest = (
        select(ProcessModelVersion.process_model_id, func.max(ProcessModelVersion.number).label("number"))
        .group_by(ProcessModelVersion.process_model_id)
        .subquery()
    )
    versions = session.scalars(
        select(ProcessModelVersion).join(
            newest,
            (ProcessModelVersion.process_model_id == newest.c.process_model_id)
            & (ProcessModelVersion.number == newest.c.number),
        )
    )
    return [v for v in versions if v.process_model_id != except_model]


def _library(session: Session, model_id: str) -> dict[str, tuple[int, Mapping[str, str]]]:
    """Process id -> (version id, files) over the latest version of every other model."""
    library: dict[str, tuple[int, Mapping[str, str]]] = {}
    for version in latest_versions(session, except_model=model_id):
        for process_id, source in version.process_sources.items():
            if source is None:
                library[process_id] = (version.id, version.files)
    return library


def read_model_folder(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in MODEL_SUFFIXES
    }


@dataclass
class SyncResult:
    deployed: dict[str, int] = field(default_factory=dict)  # model id -> new version number
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, DeployError] = field(default_factory=dict)


def sync_folder(
    session_factory: sessionmaker[Session],
    folder: str | Path,
    deployed_by: int | None = None,
    connectors: ConnectorRegistry | None = None,
) -> SyncResult:
    """Deploy every model folder under `folder` whose files changed. One bad model does not stop the
    others; models that call another one are retried after it was deployed."""
    result = SyncResult()
    pending = {p.name: read_model_folder(p) for p in sorted(Path(folder).iterdir()) if p.is_dir()}
    while pending:
        progressed = False
        for model_id, files in list(pending.items()):
            try:
                with transaction(session_factory, immediate=True) as session:  # read, then write: the lock first
                    before = latest_version(session, model_id)
                    version = deploy_model(session, model_id, files, deployed_by, connectors=connectors)
                    if before is not None and before.id == version.id:
                        result.unchanged.append(model_id)
                    else:
                        result.deployed[model_id] = version.number
            except DeployError as exc:
                result.failed[model_id] = exc
                continue
            result.failed.pop(model_id, None)
            del pending[model_id]
            progressed = True
        if not progressed:
            break
    return result
