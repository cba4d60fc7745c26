"""The JSON API (`/api/v1/`), for the mobile app and other clients; the same checks as the pages.

Authentication: `Authorization: Bearer <token>` (tokens from /cabinet/tokens). A browser session works
too, but then unsafe methods need the CSRF token like any form: only token-authenticated requests are
exempt from CSRF, because a cross-site page can make the browser send cookies, never this header.
Errors are `{"error": {"code", "message"[, "fields"]}}` with the message in the language the client
asks for with Accept-Language (else the account's language). Pathway content (task and pathway titles,
form texts) comes in that language too, as on the pages: see `webui.api.texts`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, jsonify, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.accounts.models import User
from engine.apitokens import service as tokens
from engine.config import LOCALES
from engine.db import ID_MAX
from engine.i18n import UserError
from engine.workflow import claim_task, inbox, inbox_counts, overdue_count, release_task
from forms import FormSchemaError, render_instructions, validate_json
from webui.api import openapi as description
from webui.api import views
from webui.api.blueprint import bp
from webui.db import db
from webui.extensions import csrf
from webui.messages import user_message
from webui.security import client_ip
from webui.tasks.core import (
    actor_for,
    finish,
    form_values,
    load_task,
    pathway_titles,
    slot_providers,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CODES = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 500: "server_error"}
INBOX_LIMIT_MAX = 500



class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.fields = status, message, code or CODES.get(status, "error"), fields


def _locale() -> str:
    user = g.get("api_user")
    wanted = request.accept_languages.best_match(LOCALES) if request.accept_languages else None
    if wanted:
        return wanted
    return user.locale if user is not None and user.locale in LOCALES else current_app.config["BABEL_DEFAULT_LOCALE"]


def _error(status: int, message: str, code: str | None = None, fields: dict[str, list[str]] | None = None) -> Any:
    body: dict[str, Any] = {"code": code or CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="carepath"'
    return response


@bp.errorhandler(ApiError)
def api_error(exc: ApiError) -> Any:
    return _error(exc.status, exc.message, exc.code, exc.fields)


@bp.errorhandler(UserError)
def user_error(exc: UserError) -> Any:
    db().rollback()
    with force_locale(_locale()):
        return _error(exc.status, user_message(exc))


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> Any:
    with force_locale(_locale()):
        return _error(400, _("Send an Authorization: Bearer token, or the CSRF token of your session."), "csrf")


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Any:
    """Any HTTP error under /api/v1 as JSON, with the headers it needs (Allow on a 405). The app's error
    pages hand over here for /api/v1 paths that matched no route (unknown path, undeclared method)."""
    with force_locale(_locale()):
        code = exc.code or 500
        text = {404: _("There is no such resource."), 405: _("This method is not allowed here.")}
        response = _error(code, text.get(code, _("The request could not be processed.")))
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.before_request
def authenticate() -> Any:
    g.api_user = None
    if request.endpoint in ("api.openapi",):
        return None
    header = request.headers.get("Authorization", "")
    with force_locale(_locale()):
        if header:
            scheme, _sep, token = header.partition(" ")
            user = tokens.authenticate(db(), token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                db().rollback()
                return _error(401, _("The API token is unknown or has been revoked."))
            db().commit()  # keeps last_used_at
        elif current_user.is_authenticated:
            if request.method not in SAFE_METHODS:
                csrf.protect()
            user = current_user._get_current_object()
        else:
            return _error(401, _("Log in, or send an API token: Authorization: Bearer <token>."))
        g.api_user = user
        if not user.can_act_medically:
            return _error(403, _("Confirm your email address first: open the link we sent you."), "unconfirmed")
    return None


def api_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Runs the view in the client's language, so validation messages come out in it too."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with force_locale(_locale()):
            return view(*args, **kwargs)

    return wrapped


def _user() -> User:
    return g.api_user


def _json_body(schema_name: str) -> dict[str, Any]:
    """The request's JSON object, checked against its schema in the OpenAPI document (one source of truth):
    a request the document calls invalid is refused with 400 and the fields named, never half-accepted."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, _("Send a JSON object with Content-Type: application/json."))
    errors = description.body_errors(schema_name, body)
    if errors:
        raise ApiError(400, _("The request does not match the API's description."),
                       fields={field: [_("Invalid value.")] for field in errors})
    return body


def _int_arg(name: str, minimum: int, maximum: int) -> int | None:
    """A whole-number query parameter within its documented range, else 400 (never a silent default, and
    never a number the database cannot hold)."""
    values = request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1 or not values[0].lstrip("-").isdigit() or not minimum <= int(values[0]) <= maximum:
        raise ApiError(400, _("%(name)s must be a whole number from %(min)s to %(max)s.", name=name,
                              min=minimum, max=maximum), fields={name: [_("Enter a whole number.")]})
    return int(values[0])


@bp.route("/openapi.json")
def openapi() -> Any:
    return jsonify(description.document(request.host_url.rstrip("/") + "/api/v1"))


@bp.route("/tasks")
@api_view
def list_tasks() -> Any:
    actor = actor_for(_user())
    session = db()
    limit = _int_arg("limit", 1, INBOX_LIMIT_MAX) or 100
    patient = _int_arg("patient_id", 1, ID_MAX)
    items = inbox(session, actor, pathway=request.args.get("pathway") or None, patient_id=patient, limit=limit)
    counts = inbox_counts(session, actor)
    titles = pathway_titles(session, [*counts, *(i.process_model_id for i in items)])
    return jsonify({
        "tasks": [views.inbox_item(item, titles) for item in items],
        "counts": counts,
        "overdue": overdue_count(session, actor),
    })


@bp.route("/tasks/<int:instance_id>/<task_guid>")
@api_view
def get_one_task(instance_id: int, task_guid: str) -> Any:
    view = load_task(db(), actor_for(_user()), instance_id, task_guid)
    titles = pathway_titles(db(), [view.process_model_id])
    return jsonify({"task": views.task(view, titles, str(render_instructions(view.instructions, view.data)),
                                       form_values(view))})


@bp.route("/tasks/<int:instance_id>/<task_guid>/complete", methods=["POST"])
@api_view
def complete(instance_id: int, task_guid: str) -> Any:
    body = _json_body("Completion")
    submitted = body.get("data", {})
    session = db()
    view = load_task(session, actor_for(_user()), instance_id, task_guid)
    if view.form_schema is None:
        if submitted not in ({}, None):
            raise ApiError(400, _("This task has no form: send no data."), fields={"_form": [_("Unexpected data.")]})
        clean: dict[str, Any] = {}
    else:
        try:
            clean, errors = validate_json(view.form_schema, view.ui_schema, submitted,
                                          choices_providers=slot_providers(), task_data=view.data)
        except FormSchemaError as exc:
            raise ApiError(500, _("The form of this task cannot be shown. Please tell the clinic.")) from exc
        if errors:
            session.rollback()
            raise ApiError(400, _("Some answers need correcting."), fields=errors)
    status = finish(session, _user(), view, clean, client_ip())
    return jsonify({"instance_id": instance_id, "task_guid": task_guid, "instance_status": status})


@bp.route("/tasks/<int:instance_id>/<task_guid>/claim", methods=["POST"])
@api_view
def claim(instance_id: int, task_guid: str) -> Any:
    return _claim(instance_id, task_guid, True)


@bp.route("/tasks/<int:instance_id>/<task_guid>/release", methods=["POST"])
@api_view
def release(instance_id: int, task_guid: str) -> Any:
    return _claim(instance_id, task_guid, False)


def _claim(instance_id: int, task_guid: str, take: bool) -> Any:
    from engine import audit

    session = db()
    (claim_task if take else release_task)(session, actor_for(_user()), instance_id, task_guid)
    audit.record(session, "task_claimed" if take else "task_released", actor_id=_user().id, ip=client_ip(),
                 object_type="task", object_id=f"{instance_id}:{task_guid}")
    session.commit()
    return jsonify({"instance_id": instance_id, "task_guid": task_guid, "claimed": take})


@bp.route("/pathways")
@api_view
def list_pathways() -> Any:
    from webui.tasks import pathways as tasks_pathways

    return jsonify({"pathways": [views.pathway(p) for p in tasks_pathways.startable(db(), _user())]})


@bp.route("/instances", methods=["POST"])
@api_view
def start() -> Any:
    from engine.accounts import service as accounts
    from webui.tasks import pathways as tasks_pathways

    body = _json_body("StartRequest")
    session = db()
    patient = None
    if body.get("patient_id") is not None:
        patient_id = body["patient_id"]
        if isinstance(patient_id, float) and patient_id.is_integer():
            patient_id = int(patient_id)  # JSON has one number type: 7.0 is the whole number 7
        if not isinstance(patient_id, int) or isinstance(patient_id, bool):
            raise ApiError(400, _("patient_id must be a number."), fields={"patient_id": [_("Enter a whole number.")]})
        patient = session.get(User, patient_id)
        if patient is None:
            raise ApiError(404, _("There is no such patient."))
    elif body.get("patient_email"):
        patient = accounts.find_by_email(session, str(body["patient_email"]))
        if patient is None:
            raise ApiError(404, _("There is no such patient."))
    chosen = tasks_pathways.offered(session, _user(), str(body.get("pathway", "")))
    start_data = None
    if chosen.start_form is not None:
        submitted = body.get("data")
        start_data, errors = validate_json(chosen.start_form, None, submitted if isinstance(submitted, dict) else {},
                                           choices_providers=slot_providers(), task_data={})
        if errors:
            session.rollback()
            raise ApiError(400, _("Some answers need correcting."), fields=errors)
    instance_id = tasks_pathways.start(session, _user(), chosen.id, patient, client_ip(), start_data=start_data)
    response = jsonify(views.instance(session, actor_for(_user()), instance_id))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_instance", instance_id=instance_id)
    return response


@bp.route("/instances/<int:instance_id>")
@api_view
def get_instance(instance_id: int) -> Any:
    return jsonify(views.instance(db(), actor_for(_user()), instance_id))

