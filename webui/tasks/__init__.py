""""My tasks": the inbox, the task page (instructions + form, completion), claim/release, and starting a
pathway. The area's helpers: core.py (the app's engine services and task helpers other areas use too),
pathways.py (starting pathways), deploy.py (deploying the pathways' files, for the CLI)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from engine import audit, roles
from engine.accounts import service as accounts
from engine.accounts.models import User
from engine.i18n import N_, UserError
from engine.workflow import claim_task, inbox, inbox_counts, release_task
from forms import ADD_ENTRY, build_form_class, form_data, form_files, render_instructions, translated
from forms.domain import DocumentUploadField
from forms.sections import RepeatField
from webui.db import db
from webui.messages import stored_message, user_message
from webui.security import client_ip, confirmed_required
from webui.tasks import pathways
from webui.tasks.core import (
    SLOT_PROVIDERS_KEY,
    actor_for,
    after_done_page,
    finish,
    form_class_for,
    form_values,
    load_task,
    own_page,
    pathway_titles,
    slot_providers,
    store_uploads,
)

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
INBOX_LIMIT = 200


class ConfirmForm(FlaskForm):
    """The form of a task without a form file: only "done" (and CSRF)."""


def register(app: Flask) -> None:
    """The tasks blueprint and the forms' templates and assets; create_app calls this once."""
    import forms

    app.register_blueprint(bp)
    # The staff start forms' people pickers (webui.tasks.pathways): the accounts of a role.
    providers = app.extensions.setdefault(SLOT_PROVIDERS_KEY, {})
    for name, role in pathways.PEOPLE_PROVIDERS.items():
        providers[name] = lambda _data, role=role: pathways.people(db(), role)
    if "forms" not in app.blueprints:
        app.register_blueprint(forms.blueprint)


def _is_staff(user: Any) -> bool:
    return bool(frozenset(user.role_names) & roles.STAFF_ROLES)


@bp.route("/")
@confirmed_required
def inbox_page() -> Any:
    actor = actor_for(current_user)
    session = db()
    pathway = request.args.get("pathway") or None
    staff = _is_staff(current_user)
    patient_id = request.args.get("patient", type=int) if staff else None
    items = inbox(session, actor, pathway=pathway, patient_id=patient_id, limit=INBOX_LIMIT)
    counts = inbox_counts(session, actor)
    titles = pathway_titles(session, [*counts, *(i.process_model_id for i in items)])
    patients: dict[int, str] = {}
    if staff:
        # The filter offers the patients of this person's queue; names come from one query by id.
        everyone = items if patient_id is None and pathway is None else inbox(session, actor, limit=INBOX_LIMIT)
        ids = {i.patient_id for i in [*everyone, *items] if i.patient_id is not None}
        if ids:
            patients = {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(ids)))}
    return render_template(
        "tasks/inbox.html", items=items, counts=counts, titles=titles, pathway=pathway, patient_id=patient_id,
        patients=patients, staff=staff, total=sum(counts.values()),
        can_start=bool(pathways.startable(session, current_user)),
    )  # fmt: skip


def _task_context(view: Any) -> dict[str, Any]:
    return {
        "view": view,
        "title": pathway_titles(db(), [view.process_model_id]).get(view.process_model_id, view.process_model_id),
        "instructions": render_instructions(view.instructions, view.data),
        "queue_task": view.queue_task,
        "claimed_by_me": view.claimed_by == current_user.id,
        "staff": _is_staff(current_user),
    }


@bp.route("/<int:instance_id>/<task_guid>", methods=["GET", "POST"])
@confirmed_required
def task_page(instance_id: int, task_guid: str) -> Any:
    session = db()
    view = load_task(session, actor_for(current_user), instance_id, task_guid)
    page = own_page(view)
    if page is not None:  # answered there, so it can never be closed here without its answers
        return redirect(page)
    form_class = form_class_for(view)
    form = form_class(data=form_values(view), task_data=view.data) if form_class else ConfirmForm()
    section = request.form.get(ADD_ENTRY) if request.method == "POST" and form_class else None
    if section:  # "Add another" in a repeating section: one more entry, nothing completed yet
        field = form._fields.get(section)
        if isinstance(field, RepeatField) and (field.max_items is None or len(field.entries) < field.max_items):
            field.append_entry()
        return render_template("tasks/task.html", form=form, has_schema=True, **_task_context(view))
    if request.method == "POST":
        if not form.validate():
            session.rollback()
            return render_template("tasks/task.html", form=form, has_schema=form_class is not None,
                                   **_task_context(view)), 400
        data = form_data(form) if form_class else {}
        uploads = form_files(form) if form_class else {}
        if any(uploads.values()):
            multiple = {f.name: f.multiple for f in form if isinstance(f, DocumentUploadField)}
            data.update(store_uploads(instance_id, uploads, multiple))
        try:
            status = finish(session, current_user, view, data, client_ip())
        except UserError as error:
            session.rollback()
            flash(user_message(error), "error")
            return render_template("tasks/task.html", form=form, has_schema=form_class is not None,
                                   **_task_context(view)), error.status
        flash(_("Done: “%(task)s”.", task=translated(view.title)), "success")
        if status == "error" and _is_staff(current_user):
            return redirect(url_for("instances.instance_page", instance_id=instance_id))
        if status == "error":  # e.g. a pathway script stopped by its time limit: say so, do not hang
            flash(_("Your answers are saved, but the next step of this pathway could not run. The clinic's "
                    "staff see the problem and will fix it; you do not need to send the form again."), "warning")
        return redirect(after_done_page(view, current_user) or url_for("tasks.inbox_page"))
    return render_template("tasks/task.html", form=form, has_schema=form_class is not None, **_task_context(view))


@bp.route("/<int:instance_id>/<task_guid>/claim", methods=["POST"])
@confirmed_required
def claim(instance_id: int, task_guid: str) -> Any:
    return _claim_or_release(instance_id, task_guid, take=True)


@bp.route("/<int:instance_id>/<task_guid>/release", methods=["POST"])
@confirmed_required
def release(instance_id: int, task_guid: str) -> Any:
    return _claim_or_release(instance_id, task_guid, take=False)


def _claim_or_release(instance_id: int, task_guid: str, take: bool) -> Any:
    ConfirmForm().validate_on_submit() or abort(400)
    session = db()
    actor = actor_for(current_user)
    (claim_task if take else release_task)(session, actor, instance_id, task_guid)
    audit.record(session, "task_claimed" if take else "task_released", actor_id=current_user.id, ip=client_ip(),
                 object_type="task", object_id=f"{instance_id}:{task_guid}")
    session.commit()
    if take:
        flash(_("The task is yours now; colleagues no longer see it."), "success")
        return redirect(url_for("tasks.task_page", instance_id=instance_id, task_guid=task_guid))
    flash(_("The task is back in the queue."), "info")
    return redirect(url_for("tasks.inbox_page"))


@bp.route("/start", methods=["GET", "POST"])
@confirmed_required
def start_page() -> Any:
    session = db()
    offered = pathways.startable(session, current_user)
    starter = pathways.is_starter(current_user)
    if not offered and not starter:
        abort(403)
    status = 200
    if request.method == "POST":
        ConfirmForm().validate_on_submit() or abort(400)
        patient = None
        email = (request.form.get("patient_email") or "").strip()
        try:
            if starter and email:
                patient = accounts.find_by_email(session, email)
                if patient is None:
                    raise UserError(N_("There is no account with the address %(email)s."), email=email)
            chosen = pathways.offered(session, current_user, request.form.get("pathway", ""))
            if chosen.start_form is not None and starter:
                if patient is None:
                    raise UserError(N_("Choose the patient the pathway is for."))
                return redirect(url_for("tasks.start_form_page", pathway_id=chosen.id, patient=patient.email))
            if chosen.start_form is not None:
                return redirect(url_for("tasks.start_form_page", pathway_id=chosen.id))
            instance_id = pathways.start(session, current_user, chosen.id, patient, client_ip())
        except UserError as error:
            session.rollback()
            flash(user_message(error), "error")
            status = error.status
        else:
            return _started(instance_id, starter)
    return render_template("tasks/start.html", pathways=offered, starter=starter, form=ConfirmForm(),
                           email=request.form.get("patient_email", ""), staff=_is_staff(current_user)), status


def _started(instance_id: int, starter: bool) -> Any:
    failure = pathways.start_error(db(), instance_id)
    if failure is not None:
        # Started, but its first steps failed: say so, with the pathway's own error, never "started".
        flash(_("The pathway could not start: %(reason)s", reason=stored_message(failure)), "error")
        if starter:
            return redirect(url_for("instances.instance_page", instance_id=instance_id))
        return redirect(url_for("tasks.inbox_page"))
    # A patient hears plain words; "pathway" is the staff's word for it.
    flash(_("The pathway has started.") if _is_staff(current_user) else _("Your request is open."), "success")
    mine = [i for i in inbox(db(), actor_for(current_user), limit=INBOX_LIMIT) if i.instance_id == instance_id]
    if mine:
        return redirect(url_for("tasks.task_page", instance_id=instance_id, task_guid=mine[0].task_guid))
    if starter:
        return redirect(url_for("instances.instance_page", instance_id=instance_id))
    return redirect(url_for("tasks.inbox_page"))


@bp.route("/start/<pathway_id>", methods=["GET", "POST"])
@confirmed_required
def start_form_page(pathway_id: str) -> Any:
    """The start form a model's manifest asks a patient to fill before the pathway starts."""
    session = db()
    try:
        chosen = pathways.offered(session, current_user, pathway_id)
    except UserError as error:
        abort(error.status)
    if chosen.start_form is None:
        return redirect(url_for("tasks.start_page"))
    starter = pathways.is_starter(current_user)
    email = (request.values.get("patient") or "").strip()
    patient = accounts.find_by_email(session, email) if starter and email else None
    if starter and patient is None:
        flash(_("Choose the patient the pathway is for."), "error")
        return redirect(url_for("tasks.start_page"))
    form_class = build_form_class(chosen.start_form, chosen.start_ui, choices_providers=slot_providers())
    initial = {}
    if current_user.has_role(roles.DOCTOR) and "doctor_id" in chosen.start_form.get("properties", {}):
        initial["doctor_id"] = str(current_user.id)  # a doctor usually starts a course they lead
    form = form_class(task_data={}, data=initial)
    if request.method == "POST" and form.validate():
        try:
            instance_id = pathways.start(session, current_user, chosen.id, patient, client_ip(),
                                         start_data=form_data(form))  # fmt: skip
        except UserError as error:
            session.rollback()
            flash(user_message(error), "error")
        else:
            return _started(instance_id, starter)
    status = 400 if request.method == "POST" else 200
    return render_template("tasks/start_form.html", pathway=chosen, form=form, patient=patient), status
