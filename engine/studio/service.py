"""The studio's operations on models: the catalog of models and versions, drafts, deploying from the
browser (validation first), all in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import now
from engine.i18n import N_, NotFound, UserError
from engine.studio import transfer
from engine.studio.files import check_files
from engine.studio.models import StudioDraft
from engine.studio.validate import FormChecker, Report, validate
from engine.workflow import ConnectorRegistry, deploy_model, latest_version
from engine.workflow.deploy import MANIFEST, MODEL_ID
from engine.workflow.models import ProcessInstance, ProcessModel, ProcessModelVersion


class NotDeployed(UserError):
    """Validation found problems; nothing was deployed. `report` holds them."""

    def __init__(self, report: Report) -> None:
        super().__init__(
            N_("The pathway was not deployed: %(count)s problem(s)."),
            count=sum(1 for f in report.findings if f.severity == "error"),
        )
        self.report = report


@dataclass(frozen=True)
class VersionRow:
    id: int
    number: int
    sha256: str
    deployed_by: int | None
    deployed_at: datetime
    instances: dict[str, int]  # status -> count

    @property
    def total(self) -> int:
        return sum(self.instances.values())


@dataclass(frozen=True)
class ModelRow:
    model: ProcessModel
    versions: list[VersionRow]  # newest first
    has_draft: bool


def catalog(session: Session) -> list[ModelRow]:
    """Every model with its versions, the instances on each version by status, and who deployed."""
    counts: dict[int, dict[str, int]] = {}
    for version_id, status, count in session.execute(
        select(ProcessInstance.version_id, ProcessInstance.status, func.count()).group_by(
            ProcessInstance.version_id, ProcessInstance.status
        )
    ):
        counts.setdefault(version_id, {})[status] = count
    versions: dict[str, list[VersionRow]] = {}
    for v in session.execute(
        select(ProcessModelVersion.id, ProcessModelVersion.process_model_id, ProcessModelVersion.number,
               ProcessModelVersion.sha256, ProcessModelVersion.deployed_by, ProcessModelVersion.deployed_at)
        .order_by(ProcessModelVersion.number.desc())
    ):  # fmt: skip
        versions.setdefault(v.process_model_id, []).append(
            VersionRow(v.id, v.number, v.sha256, v.deployed_by, v.deployed_at, counts.get(v.id, {}))
        )
    drafts = set(session.scalars(select(StudioDraft.process_model_id)))
    models = session.scalars(select(ProcessModel).order_by(ProcessModel.id))
    return [ModelRow(m, versions.get(m.id, []), m.id in drafts) for m in models]


def model_versions(session: Session, model_id: str) -> ModelRow:
    for row in catalog(session):
        if row.model.id == model_id:
            return row
    raise NotFound(N_("There is no pathway %(name)s."), name=model_id)


def get_version(session: Session, model_id: str, number: int) -> ProcessModelVersion:
    version = session.scalars(
        select(ProcessModelVersion).where(
            ProcessModelVersion.process_model_id == model_id, ProcessModelVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound(N_("There is no version %(number)s of this pathway."), number=number)
    return version


def working_files(session: Session, model_id: str) -> tuple[dict[str, str], str, int | None]:
    """What the editor opens: the draft if there is one, else the latest version. (files, origin, version no.)"""
    draft = session.get(StudioDraft, model_id)
    latest = latest_version(session, model_id)
    if draft is not None:
        base = session.get(ProcessModelVersion, draft.base_version_id) if draft.base_version_id else None
        return dict(draft.files), "draft", base.number if base else None
    if latest is None:
        raise NotFound(N_("There is no pathway %(name)s."), name=model_id)
    files = dict(latest.files)
    model = session.get(ProcessModel, model_id)
    if latest.patient_start is not None and MANIFEST not in files and model is not None:
        # Kept apart by the deploy: without it, the next deploy from the editor would stop patient starts.
        files[MANIFEST] = transfer.manifest_file(model.title, model.description, latest.patient_start)
    return files, "version", latest.number


def save_draft(
    session: Session, model_id: str, files: Mapping[str, object], actor_id: int | None, ip: str = ""
) -> StudioDraft:
    if not MODEL_ID.match(model_id):
        raise UserError(N_("%(id)s is not a valid model id."), id=model_id)
    texts = check_files(files)
    latest = latest_version(session, model_id)
    draft = session.get(StudioDraft, model_id)
    if draft is None:
        draft = StudioDraft(process_model_id=model_id, base_version_id=latest.id if latest else None)
        session.add(draft)
    draft.files, draft.updated_by, draft.updated_at = texts, actor_id, now()
    audit.record(
        session,
        "process_draft_saved",
        actor_id=actor_id,
        ip=ip,
        object_type="process_model",
        object_id=model_id,
    )
    session.flush()
    return draft


def discard_draft(session: Session, model_id: str) -> None:
    draft = session.get(StudioDraft, model_id)
    if draft is not None:
        session.delete(draft)


def deploy(
    session: Session,
    model_id: str,
    files: Mapping[str, object],
    actor_id: int | None,
    connectors: ConnectorRegistry,
    check_form: FormChecker | None = None,
    ip: str = "",
) -> tuple[ProcessModelVersion, bool]:
    """Validate, then deploy as a new version (running instances stay on theirs). Returns (version,
    changed); raises NotDeployed with the findings, having written nothing."""
    if not MODEL_ID.match(model_id):
        raise UserError(N_("%(id)s is not a valid model id."), id=model_id)
    report = validate(session, model_id, files, connectors, check_form)
    if not report.ok:
        raise NotDeployed(report)
    before = latest_version(session, model_id)
    version = deploy_model(session, model_id, report.files, deployed_by=actor_id, connectors=connectors)
    changed = before is None or before.id != version.id
    if changed:
        audit.record(
            session,
            "process_deployed",
            actor_id=actor_id,
            ip=ip,
            object_type="process_model",
            object_id=model_id,
            version=version.number,
            sha256=version.sha256,
            via="studio",
        )
    discard_draft(session, model_id)
    return version, changed
