"""The modeler's JSON endpoints: the files to edit, drafts, validation, the form preview, test runs and
deploying. Requests carry the CSRF token in the X-CSRFToken header; bodies are limited in size."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, jsonify, render_template_string, request
from flask_babel import gettext as _
from flask_login import current_user

from engine import audit
from engine.i18n import N_, UserError, render_message
from engine.roles import ROLES
from engine.studio import sandbox, service, validate
from engine.workflow import DeployError
from engine.workflow.access import LANE_ROLES
from forms import FormSchemaError, build_form_class, check_task_form, prepare
from webui.db import db
from webui.messages import stored_message, user_message
from webui.security import client_ip, roles_required
from webui.studio.blueprint import api_bp as bp
from webui.studio.lint_texts import lint_text
from webui.studio.shared import ANALYSTS
from webui.tasks.core import connectors, slot_providers

MAX_BODY_BYTES = 12 * 1024 * 1024
PREVIEW = '{% import "forms/render.html" as forms %}{{ forms.render_form(form, action="#") }}'


def _body() -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        abort(413)
    try:
        body = json.loads(request.get_data(cache=False) or b"{}")
    except ValueError:
        abort(400)
    if not isinstance(body, dict):
        abort(400)
    return body


def _finding(f: validate.Finding) -> dict[str, Any]:
    if f.source == "lint":
        text = lint_text(f.params.get("rule"), f.message)
    else:
        text = render_message(f.message, f.params, _)  # a form's problem nests its reason (forms.errors)
    return {"file": f.file, "element": f.element, "severity": f.severity, "source": f.source, "text": text}


def check_form(path: str, text: str) -> list[str]:
    """forms/ decides whether a form file can be rendered (the engine checks only that it is JSON)."""
    try:
        schema = json.loads(text)
    except ValueError as exc:
        return [_("The form is not valid JSON: %(reason)s") % {"reason": str(exc)}]
    return [p.text(_) for p in check_task_form(schema, None)]


def _report_json(report: validate.Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "findings": [_finding(f) for f in report.findings],
        "elements": report.elements,
        "lint_ran": report.lint_ran,
        # The linter's own failure is a technical English text; the analyst is told what it means.
        "lint_note": _("the BPMN linter did not run, only the engine's checks") if not report.lint_ran else "",
    }


@bp.route("/<model_id>/files")
@roles_required(*ANALYSTS)
def files(model_id: str) -> Any:
    session = db()
    texts, origin, number = service.working_files(session, model_id)
    return jsonify(
        files=texts,
        origin=origin,
        version=number,
        operators=sorted(connectors().names()),
        roles=list(LANE_ROLES),
        all_roles=list(ROLES),
    )


@bp.route("/<model_id>/draft", methods=["POST"])
@roles_required(*ANALYSTS)
def save_draft(model_id: str) -> Any:
    body = _body()
    session = db()
    try:
        service.save_draft(session, model_id, body.get("files") or {}, current_user.id, client_ip())
    except DeployError as exc:
        session.rollback()
        return jsonify(ok=False, findings=[_finding(f) for f in validate.from_deploy_error(exc)]), 400
    session.commit()
    return jsonify(ok=True, message=_("Draft saved."))


@bp.route("/<model_id>/draft/discard", methods=["POST"])
@roles_required(*ANALYSTS)
def discard_draft(model_id: str) -> Any:
    session = db()
    service.discard_draft(session, model_id)
    session.commit()
    return jsonify(ok=True, message=_("Draft discarded."))


@bp.route("/<model_id>/validate", methods=["POST"])
@roles_required(*ANALYSTS)
def validate_model(model_id: str) -> Any:
    body = _body()
    session = db()
    report = validate.validate(session, model_id, body.get("files") or {}, connectors(), check_form)
    session.rollback()
    return jsonify(_report_json(report))


@bp.route("/<model_id>/deploy", methods=["POST"])
@roles_required(*ANALYSTS)
def deploy(model_id: str) -> Any:
    body = _body()
    session = db()
    try:
        version, changed = service.deploy(
            session, model_id, body.get("files") or {}, current_user.id, connectors(), check_form, client_ip()
        )
    except service.NotDeployed as exc:
        session.rollback()
        return jsonify({**_report_json(exc.report), "message": user_message(exc)}), 400
    except UserError as exc:
        session.rollback()
        return jsonify(ok=False, findings=[], message=user_message(exc)), exc.status
    session.commit()
    message = (
        _("Deployed as version %(number)s. Running instances stay on their versions.", number=version.number)
        if changed
        else _("Nothing changed since version %(number)s.", number=version.number)
    )
    return jsonify(ok=True, version=version.number, changed=changed, message=message)


@bp.route("/<model_id>/test-run", methods=["POST"])
@roles_required(*ANALYSTS)
def test_run(model_id: str) -> Any:
    body = _body()
    session = db()
    try:
        start = _json_field(body, "start_data")
        results = _json_field(body, "service_results")
        run = sandbox.test_run(session, model_id, body.get("files") or {}, connectors(), start, results)
    except DeployError as exc:
        return jsonify(
            ok=False,
            status="invalid",
            steps=[],
            findings=[_finding(f) for f in validate.from_deploy_error(exc)],
        )
    except UserError as exc:
        return jsonify(
            ok=False, status="failed", steps=[], findings=[], message=user_message(exc)
        ), exc.status
    session.rollback()
    audit.record(
        session,
        "process_test_run",
        actor_id=current_user.id,
        ip=client_ip(),
        object_type="process_model",
        object_id=model_id,
        status=run.status,
        steps=len(run.steps),
    )
    session.commit()
    problems = [validate.Finding(p["file"], p["element"], p["message"], p["params"]) for p in run.problems]
    return jsonify(
        ok=run.status == "completed",
        status=run.status,
        steps=[{**step, "message": stored_message(step["message"])} if "message" in step else step for step in run.steps],
        findings=[_finding(f) for f in problems],
    )


def _json_field(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except ValueError as exc:
            raise UserError(N_("%(field)s is not valid JSON."), field=name) from exc
    return value


@bp.route("/form-preview", methods=["POST"])
@roles_required(*ANALYSTS)
def form_preview() -> Any:
    body = _body()
    try:
        schema = json.loads(body.get("schema") or "")
    except ValueError as exc:
        return jsonify(ok=False, errors=[_("The form is not valid JSON: %(reason)s") % {"reason": str(exc)}])
    # The preview shows what a task would: SpiffArena's $ref and dynamic options resolved (placeholders).
    problems = check_task_form(schema, None)
    if problems:
        return jsonify(ok=False, errors=[p.text(_) for p in problems])
    try:
        schema, _ui = prepare(schema, None, None)
        form_class = build_form_class(schema, choices_providers=slot_providers())
    except FormSchemaError as exc:
        return jsonify(ok=False, errors=[p.text(_) for p in exc.problems])
    form = form_class(formdata=None, meta={"csrf": False})  # nothing submitted: the empty form
    return jsonify(ok=True, errors=[], html=render_template_string(PREVIEW, form=form))


@bp.errorhandler(413)
def too_large(_error: Exception) -> Any:
    return jsonify(
        ok=False,
        findings=[],
        message=_("The upload is larger than %(limit)s MB.", limit=MAX_BODY_BYTES // 2**20),
    ), 413
