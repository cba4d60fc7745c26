"""The instance page for staff: status, error and retry, history, current data, and the BPMN diagram
with the current task(s) marked (bpmn-js viewer served from node_modules, installed by `make install`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
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
from engine.workflow import retry_instance
from engine.workflow.models import ERROR, STATUSES, ProcessInstance, ProcessModel, ProcessModelVersion
from forms import translated
from webui.admin.staff import ROLE_LABELS
from webui.db import db
from webui.diagram_names import translated_diagram
from webui.instances import data as instances_data
from webui.instances import inspector
from webui.security import client_ip, confirmed_required
from webui.tasks.core import actor_for, connectors, sessions

bp = Blueprint("instances", __name__)
BPMN_JS_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "dist"
VENDOR_SUFFIXES = (".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg")
LIST_LIMIT = 100


@bp.route("/instances/")
@confirmed_required
def instance_list() -> Any:
    actor = actor_for(current_user)
    if not actor.is_staff:
        abort(403)
    status = request.args.get("status") or None
    query = select(ProcessInstance, ProcessModel.title).join(ProcessModel, ProcessModel.id == ProcessInstance.process_model_id)
    if status in STATUSES:
        query = query.where(ProcessInstance.status == status)
    rows = db().execute(query.order_by(ProcessInstance.updated_at.desc()).limit(LIST_LIMIT)).all()
    patients, steps = instances_data.list_columns(db(), [instance for instance, _title in rows])
    return render_template("instances/list.html", rows=rows, status=status, statuses=STATUSES,
                           patients=patients, steps=steps)  # fmt: skip


@bp.route("/instances/<int:instance_id>")
@confirmed_required
def instance_page(instance_id: int) -> Any:
    session = db()
    actor = actor_for(current_user)
    view = instances_data.load(session, actor, instance_id, need=instances_data.FULL)
    data = instances_data.current_data(session, actor, instance_id)
    version = session.get(ProcessModelVersion, view.instance.version_id)
    seen = inspector.inspect(session, view.instance, version.primary_process_id if version else "")
    seen.called = inspector.merge_by_file(session, view.instance, seen.called)
    history = sorted(instances_data.history(session, instance_id) + inspector.automatic_history(seen),
                     key=lambda r: (r["at"], r["kind"] != "start", r["id"]))  # fmt: skip
    return render_template(
        "instances/instance.html",
        view=view,
        instance=view.instance,
        data_json=json.dumps(inspector.cleaned(data), ensure_ascii=False, indent=2, sort_keys=True, default=str),
        data_rows=inspector.data_rows(session, data),
        history=history,
        seen=seen,
        current_elements=json.dumps(seen.current_main or sorted({p.task_name for p in view.pending})),
        done_elements=json.dumps(seen.done_main),
        dumps=json.dumps,
        can_retry=view.instance.status == ERROR and actor.is_staff,
        form=FlaskForm(),
        viewer_installed=(BPMN_JS_DIST / "bpmn-viewer.production.min.js").is_file(),
        json_dumps=lambda value: json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str),
    )


@bp.route("/instances/<int:instance_id>/diagram.bpmn")
@confirmed_required
def diagram(instance_id: int) -> Any:
    session = db()
    view = instances_data.load(session, actor_for(current_user), instance_id, need=instances_data.FULL)
    process = request.args.get("process")
    if process:
        xml = inspector.called_xml(session, view.instance, process)
    else:
        xml = instances_data.diagram_xml(session, view.instance)
    if xml is None:
        abort(404)
    return Response(translated_diagram(xml, translated, ROLE_LABELS), mimetype="application/xml",
                    headers={"Cache-Control": "private, max-age=60", "Vary": "Cookie"})


@bp.route("/instances/<int:instance_id>/retry", methods=["POST"])
@confirmed_required
def retry(instance_id: int) -> Any:
    FlaskForm().validate_on_submit() or abort(400)
    session = db()
    actor = actor_for(current_user)
    instances_data.load(session, actor, instance_id, need=instances_data.FULL)
    session.rollback()  # the engine writes in its own transaction (see webui.tasks.core.finish)
    status = retry_instance(sessions(), actor, instance_id, connectors=connectors())
    session.rollback()
    audit.record(session, "process_retried", actor_id=actor.user_id, ip=client_ip(),
                 object_type="process_instance", object_id=instance_id, status=status)
    session.commit()
    if status == ERROR:
        flash(_("The pathway failed again; see the error below."), "error")
    else:
        flash(_("The pathway runs again."), "success")
    return redirect(url_for("instances.instance_page", instance_id=instance_id))


@bp.route("/vendor/bpmn-js/<path:filename>")
def bpmn_js(filename: str) -> Any:
    """The viewer's script, styles and font from node_modules (never committed; `make install`)."""
    if not filename.endswith(VENDOR_SUFFIXES) or not BPMN_JS_DIST.is_dir():
        abort(404)
    return send_from_directory(BPMN_JS_DIST, filename, max_age=86400)
