"""The pathway studio for analysts (and admins): models with their versions, the modeler, diff between
versions, migration of running instances, export/import, and the process dashboard. The editor's JSON
endpoints are in api.py; webui/studio/__init__.py wires both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from engine import audit
from engine.accounts.models import User
from engine.i18n import N_, UserError, render_message
from engine.studio import dashboard, diff, migrate, service, suggest, transfer
from engine.studio.files import START_SAMPLE
from engine.workflow.models import FINISHED_STATUSES, ProcessInstance, ProcessModel
from webui.db import db
from webui.messages import user_message
from webui.security import client_ip, roles_required
from webui.studio import bpmnjs_texts
from webui.studio.blueprint import bp
from webui.studio.shared import ANALYSTS
from webui.tasks.core import connectors

DMN_JS_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "dmn-js" / "dist"
VENDOR_SUFFIXES = (".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg")
MIGRATE_LIMIT = 200


def _names(session: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(wanted)))}


@bp.route("/")
@roles_required(*ANALYSTS)
def index() -> Any:
    session = db()
    rows = service.catalog(session)
    names = _names(session, {v.deployed_by for r in rows for v in r.versions})
    return render_template("studio/index.html", rows=rows, names=names, form=FlaskForm())


@bp.route("/<model_id>/")
@roles_required(*ANALYSTS)
def model_page(model_id: str) -> Any:
    session = db()
    row = service.model_versions(session, model_id)
    names = _names(session, {v.deployed_by for v in row.versions})
    running = session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.process_model_id == model_id, ProcessInstance.status.not_in(FINISHED_STATUSES))
        .order_by(ProcessInstance.id.desc())
        .limit(MIGRATE_LIMIT)
    ).all()
    numbers = {v.id: v.number for v in row.versions}
    return render_template(
        "studio/model.html", row=row, names=names, running=running, numbers=numbers, form=FlaskForm()
    )


@bp.route("/<model_id>/edit")
@roles_required(*ANALYSTS)
def edit(model_id: str) -> Any:
    session = db()
    model = session.get(ProcessModel, model_id)
    if model is None and session.get(service.StudioDraft, model_id) is None:
        abort(404)
    texts, _origin, _number = service.working_files(session, model_id)
    samples = suggest.suggested_results(session, model_id, texts, connectors())
    return render_template(
        "studio/edit.html",
        samples=samples,
        # What the platform passes when it starts the pathway, as the model's authors wrote it down.
        start_sample=texts.get(START_SAMPLE) or '{"patient_id": 1}',
        model_id=model_id,
        title=model.title if model else model_id,
        modeler_installed=(
            Path(__file__).resolve().parents[2]
            / "node_modules"
            / "bpmn-js"
            / "dist"
            / "bpmn-modeler.production.min.js"
        ).is_file(),
        dmn_installed=(DMN_JS_DIST / "dmn-modeler.production.min.js").is_file(),
        bpmn_js_texts=bpmnjs_texts.translations(),
    )


@bp.route("/<model_id>/diff")
@roles_required(*ANALYSTS)
def version_diff(model_id: str) -> Any:
    session = db()
    row = service.model_versions(session, model_id)
    if not row.versions:
        abort(404)
    newest = row.versions[0].number
    a = request.args.get("a", type=int) or max(newest - 1, 1)
    b = request.args.get("b", type=int) or newest
    old, new = service.get_version(session, model_id, a), service.get_version(session, model_id, b)
    result = diff.diff_files(old.files, new.files)
    return render_template("studio/diff.html", row=row, a=a, b=b, result=result)


@bp.route("/<model_id>/migrate", methods=["POST"])
@roles_required(*ANALYSTS)
def migrate_instances(model_id: str) -> Any:
    FlaskForm().validate_on_submit() or abort(400)
    session = db()
    number = request.form.get("to", type=int)
    ids = [int(i) for i in request.form.getlist("instance") if i.isdigit()][:MIGRATE_LIMIT]
    if not ids or number is None:
        flash(_("Choose the instances and the version to move them to."), "error")
        return redirect(url_for("studio.model_page", model_id=model_id))
    target = service.get_version(session, model_id, number)
    outcomes = []
    for instance_id in ids:
        try:
            outcome = migrate.migrate_instance(session, instance_id, target, current_user.id, client_ip())
        except UserError as exc:
            session.rollback()
            outcome = migrate.Outcome(instance_id, False, [(exc.message, dict(exc.params))])
        session.commit()
        outcomes.append(outcome)
    moved = sum(1 for o in outcomes if o.migrated)
    flash(
        _(
            "%(moved)s of %(total)s instance(s) moved to version %(number)s.",
            moved=moved,
            total=len(outcomes),
            number=number,
        ),
        "success" if moved == len(outcomes) else "warning",
    )
    return render_template("studio/migrated.html", model_id=model_id, number=number, outcomes=outcomes)


@bp.route("/<model_id>/export.zip")
@roles_required(*ANALYSTS)
def export(model_id: str) -> Any:
    session = db()
    model = session.get(ProcessModel, model_id) or abort(404)
    row = service.model_versions(session, model_id)
    number = request.args.get("version", type=int) or (row.versions[0].number if row.versions else None)
    if number is None:
        abort(404)
    version = service.get_version(session, model_id, number)
    spiffarena = request.args.get("format") == "spiffarena"
    if spiffarena:
        data = transfer.export_spiffarena(
            model_id, version.files, model.title, model.description, version.primary_process_id
        )
    else:
        data = transfer.export_zip(
            model_id, version.files, model.title, model.description, version.patient_start
        )
    audit.record(
        session,
        "process_exported",
        actor_id=current_user.id,
        ip=client_ip(),
        object_type="process_model",
        object_id=model_id,
        version=number,
        format="spiffarena" if spiffarena else "zip",
    )
    session.commit()
    suffix = "-spiffarena" if spiffarena else ""
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{model_id}-v{number}{suffix}.zip"'},
    )


@bp.route("/import", methods=["POST"])
@roles_required(*ANALYSTS)
def import_model() -> Any:
    FlaskForm().validate_on_submit() or abort(400)
    upload = request.files.get("archive")
    model_id = (request.form.get("model_id") or "").strip().lower()
    try:
        if upload is None or not upload.filename:
            raise UserError(N_("Choose a zip file."))
        if not model_id:
            model_id = Path(upload.filename).stem.split("-v")[0].replace("-", "_")
        files, _manifest = transfer.import_zip(upload.read(transfer.MAX_UPLOAD_BYTES + 1))
        session = db()
        service.save_draft(session, model_id, files, current_user.id, client_ip())
        audit.record(
            session,
            "process_imported",
            actor_id=current_user.id,
            ip=client_ip(),
            object_type="process_model",
            object_id=model_id,
            files=len(files),
        )
        session.commit()
    except UserError as exc:
        db().rollback()
        flash(user_message(exc) if not hasattr(exc, "problems") else _import_problems(exc), "error")
        return redirect(url_for("studio.index"))
    flash(
        _("Imported as a draft of %(model)s: validate and deploy it in the modeler.", model=model_id),
        "success",
    )
    return redirect(url_for("studio.edit", model_id=model_id))


def _import_problems(exc: Any) -> str:
    return "; ".join(f"{p.file or '-'}: {render_message(p.message, p.params, _)}" for p in exc.problems)


@bp.route("/dashboard")
@roles_required(*ANALYSTS)
def dashboard_page() -> Any:
    from webui.studio import durations

    return render_template("studio/dashboard.html", pathways=dashboard.overview(db()), unit_for=durations.unit_for,
                           in_unit=durations.in_unit)  # fmt: skip


@bp.route("/vendor/dmn-js/<path:filename>")
@roles_required(*ANALYSTS)
def dmn_js(filename: str) -> Any:
    """dmn-js from node_modules (never committed; `make install`)."""
    if not filename.endswith(VENDOR_SUFFIXES) or not DMN_JS_DIST.is_dir():
        abort(404)
    return send_from_directory(DMN_JS_DIST, filename, max_age=86400)


@bp.errorhandler(413)
def too_large(_error: Exception) -> Any:
    flash(_("The upload is larger than %(limit)s MB.", limit=transfer.MAX_UPLOAD_BYTES // 2**20), "error")
    return redirect(url_for("studio.index")), 303
