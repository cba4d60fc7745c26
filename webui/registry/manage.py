"""The manager's registry pages: institutions, departments, doctors, weekly templates and exceptions.

A schedule change is made in the request's transaction, its effect on booked tickets is computed, and
when tickets would be hit the change is rolled back and the manager sees the affected patients first;
only «Apply and notify» commits it (tickets cancelled by the clinic, each patient notified).

A ticket holding an online consultation's time is not cancelled as a bare ticket: after the change is
committed, its consultation is cancelled through its pathway with the clinic's reason, which frees the
time and tells the patient and the doctor once (engine.consultations.service.cancel_by_clinic).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, roles
from engine.accounts.models import User
from engine.consultations import service as consultations
from engine.i18n import UserError
from engine.registry import schedules
from engine.registry.models import (
    Department,
    Doctor,
    DoctorPost,
    Institution,
    Locality,
    ScheduleException,
    ScheduleTemplate,
    Specialty,
    Ticket,
)
from webui.db import db, session_factory
from webui.messages import user_message
from webui.registry.blueprint import manage_bp as bp
from webui.registry.forms import DepartmentForm, DoctorForm, ExceptionForm, InstitutionForm, TemplateForm
from webui.security import client_ip, roles_required

MANAGERS = (roles.MANAGER, roles.ADMIN)
logger = logging.getLogger(__name__)


def _institution(institution_id: int) -> Institution:
    inst = db().get(Institution, institution_id)
    if inst is None:
        abort(404)
    return inst


def _posts(inst: Institution) -> list[DoctorPost]:
    return list(db().scalars(
        select(DoctorPost).join(Doctor, Doctor.id == DoctorPost.doctor_id)
        .where(Doctor.institution_id == inst.id).order_by(Doctor.last_name)
    ))


def _forms(inst: Institution) -> dict[str, Any]:
    posts = _posts(inst)
    doctor_form = DoctorForm(prefix="doctor")
    doctor_form.department.choices = [(d.id, d.name) for d in inst.departments]
    template_form = TemplateForm(prefix="template")
    template_form.post.choices = [(p.id, f"{p.doctor.full_name} — {p.specialty.name}") for p in posts]
    exception_form = ExceptionForm(prefix="exception")
    doctors = {p.doctor_id: p.doctor.full_name for p in posts}
    exception_form.doctor.choices = [(0, _("Whole institution"))] + sorted(doctors.items(), key=lambda i: i[1])
    return {
        "form": InstitutionForm(prefix="inst", obj=inst), "department_form": DepartmentForm(prefix="dept"),
        "doctor_form": doctor_form, "template_form": template_form, "exception_form": exception_form,
        "posts": posts,
        "templates": list(db().scalars(select(ScheduleTemplate).where(ScheduleTemplate.post_id.in_([p.id for p in posts]))
                                       .order_by(ScheduleTemplate.post_id, ScheduleTemplate.weekday))),
        "exceptions": list(db().scalars(select(ScheduleException).where(ScheduleException.institution_id == inst.id)
                                        .order_by(ScheduleException.date_from))),
    }


@bp.route("/")
@roles_required(*MANAGERS)
def home() -> Any:
    institutions = list(db().scalars(select(Institution).order_by(Institution.name)))
    return render_template("registry/manage/home.html", institutions=institutions, form=InstitutionForm(prefix="inst"))


@bp.route("/institutions", methods=["POST"])
@roles_required(*MANAGERS)
def add_institution() -> Any:
    form = InstitutionForm(prefix="inst")
    locality = db().scalars(select(Locality).order_by(Locality.id)).first()
    if not form.validate() or locality is None:
        flash(_("Check the fields of the institution."), "error")
        return redirect(url_for("registry.manage.home"))
    inst = Institution(locality_id=locality.id)
    form.populate_obj(inst)
    db().add(inst)
    db().flush()
    audit.record(db(), "registry_edited", actor_id=current_user.id, ip=client_ip(), object_type="institution",
                 object_id=inst.id)
    db().commit()
    return redirect(url_for("registry.manage.institution", institution_id=inst.id))


@bp.route("/institutions/<int:institution_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def institution(institution_id: int) -> Any:
    inst = _institution(institution_id)
    forms = _forms(inst)
    if request.method == "POST":
        if forms["form"].validate():
            forms["form"].populate_obj(inst)
            audit.record(db(), "registry_edited", actor_id=current_user.id, ip=client_ip(),
                         object_type="institution", object_id=inst.id)
            db().commit()
            flash(_("Saved."), "success")
            return redirect(url_for("registry.manage.institution", institution_id=inst.id))
        return render_template("registry/manage/institution.html", inst=inst, **forms), 400
    return render_template("registry/manage/institution.html", inst=inst, **forms)


@bp.route("/institutions/<int:institution_id>/departments", methods=["POST"])
@roles_required(*MANAGERS)
def add_department(institution_id: int) -> Any:
    inst = _institution(institution_id)
    form = DepartmentForm(prefix="dept")
    if form.validate():
        db().add(Department(institution_id=inst.id, name=form.name.data.strip()))
        audit.record(db(), "registry_edited", actor_id=current_user.id, ip=client_ip(), object_type="department")
        db().commit()
        flash(_("Saved."), "success")
    else:
        flash(_("Enter the department's name."), "error")
    return redirect(url_for("registry.manage.institution", institution_id=inst.id))


@bp.route("/institutions/<int:institution_id>/doctors", methods=["POST"])
@roles_required(*MANAGERS)
def add_doctor(institution_id: int) -> Any:
    inst = _institution(institution_id)
    form = _forms(inst)["doctor_form"]
    if not form.validate() or db().get(Department, form.department.data or 0) not in inst.departments:
        flash(_("Check the doctor's name, department and specialty."), "error")
        return redirect(url_for("registry.manage.institution", institution_id=inst.id))
    name = " ".join(form.specialty.data.split())
    specialty = db().scalars(select(Specialty).where(Specialty.name == name)).first() or Specialty(name=name)
    doctor = Doctor(institution_id=inst.id, last_name=form.last_name.data.strip(),
                    first_name=form.first_name.data.strip(), patronymic=(form.patronymic.data or "").strip())
    db().add_all([specialty, doctor])
    db().flush()
    db().add(DoctorPost(doctor_id=doctor.id, department_id=form.department.data, specialty_id=specialty.id))
    audit.record(db(), "registry_edited", actor_id=current_user.id, ip=client_ip(), object_type="doctor",
                 object_id=doctor.id)
    db().commit()
    flash(_("Saved."), "success")
    return redirect(url_for("registry.manage.institution", institution_id=inst.id))


def _change(inst: Institution, edit: Callable[[], None]) -> Any:
    """Make a schedule change; show the tickets it hits before committing it (never a silent drop)."""
    try:
        edit()
        db().flush()
        preview = schedules.impact(db(), inst)
    except UserError as error:
        db().rollback()
        flash(user_message(error), "error")
        return redirect(url_for("registry.manage.institution", institution_id=inst.id))
    if preview.tickets and request.form.get("confirmed") != "1":
        affected = [(t, db().get(Doctor, t.doctor_id), consultations.of_ticket(db(), t.id)) for t in preview.tickets]
        db().rollback()
        return render_template("registry/manage/affected.html", inst=inst, affected=affected,
                               action=request.path, fields=request.form.items(multi=True)), 409
    result = schedules.apply_change(db(), inst, actor_id=current_user.id, ip=client_ip(),
                                    base_url=current_app.extensions["carepath"].settings.base_url or request.host_url,
                                    handed_over=_holds_a_consultation)
    audit.record(db(), "schedule_changed", actor_id=current_user.id, ip=client_ip(), object_type="institution",
                 object_id=inst.id, tickets_cancelled=len(result.tickets))
    handed = [t.id for t in result.handed_over]
    db().commit()
    stuck = _cancel_consultations(handed)
    if stuck:
        flash(_("Online consultations No. %(numbers)s could not be cancelled automatically: cancel them or "
                "agree a new time with the patients.", numbers=", ".join(str(n) for n in stuck)), "error")
    if result.tickets:
        flash(_("Schedule changed; %(n)s patients were notified.", n=len(result.tickets)), "warning")
    else:
        flash(_("Schedule changed."), "success")
    return redirect(url_for("registry.manage.institution", institution_id=inst.id))


def _holds_a_consultation(session: Session, ticket: Ticket) -> bool:
    return consultations.of_ticket(session, ticket.id) is not None


def _cancel_consultations(ticket_ids: list[int]) -> list[int]:
    """Cancel, through their pathway, the consultations whose tickets the committed change took away;
    returns the numbers of those that could not be (one that ended meanwhile is not a failure)."""
    from webui.registry.shared import connectors

    actor_id, ip, registry = current_user.id, client_ip(), connectors()
    stuck: list[int] = []
    for ticket_id in ticket_ids:
        consultation = consultations.of_ticket(db(), ticket_id)
        if consultation is None:
            continue
        consultation_id = consultation.id
        patient = db().get(User, consultation.patient_id)
        # Stored on the consultation and shown to the patient: written in the patient's language.
        with force_locale(patient.locale if patient is not None and patient.locale else "ru"):
            reason = _("The clinic changed the doctor's schedule, and this time is no longer available.")
        db().rollback()  # no read transaction of ours stays open while the pathway writes
        try:
            consultations.cancel_by_clinic(session_factory(), consultation_id, reason, actor_id=actor_id,
                                           connectors=registry, ip=ip)
        except UserError as error:
            current = consultations.of_ticket(db(), ticket_id)
            if current is None or current.is_open:
                logger.error("consultation %s not cancelled after a schedule change: %s", consultation_id,
                             error.message)
                stuck.append(consultation_id)
            db().rollback()
    return stuck


@bp.route("/institutions/<int:institution_id>/templates", methods=["POST"])
@roles_required(*MANAGERS)
def add_template(institution_id: int) -> Any:
    inst = _institution(institution_id)
    form = _forms(inst)["template_form"]
    if not form.validate() or form.post.data not in {p.id for p in _posts(inst)}:
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors) or _("Check the fields."), "error")
        return redirect(url_for("registry.manage.institution", institution_id=inst.id))
    data = schedules.TemplateData(form.post.data, form.weekday.data, form.start.data, form.end.data,
                                  form.slot_minutes.data, form.valid_from.data, form.valid_to.data)

    def edit() -> None:
        schedules.check_template(data)
        db().add(ScheduleTemplate(post_id=data.post_id, weekday=data.weekday, start=data.start, end=data.end,
                                  slot_minutes=data.slot_minutes, valid_from=data.valid_from, valid_to=data.valid_to))

    return _change(inst, edit)


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@roles_required(*MANAGERS)
def delete_template(template_id: int) -> Any:
    template = db().get(ScheduleTemplate, template_id)
    if template is None:
        abort(404)
    inst = _institution(template.post.doctor.institution_id)
    return _change(inst, lambda: db().delete(template))


@bp.route("/institutions/<int:institution_id>/exceptions", methods=["POST"])
@roles_required(*MANAGERS)
def add_exception(institution_id: int) -> Any:
    inst = _institution(institution_id)
    form = _forms(inst)["exception_form"]
    if not form.validate():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("registry.manage.institution", institution_id=inst.id))

    def edit() -> None:
        schedules.check_interval(form.date_from.data, form.date_to.data)
        db().add(ScheduleException(institution_id=inst.id, doctor_id=form.doctor.data or None,
                                   date_from=form.date_from.data, date_to=form.date_to.data, kind=form.kind.data,
                                   note=form.note.data or ""))

    return _change(inst, edit)
