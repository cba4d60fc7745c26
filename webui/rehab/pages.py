"""Rehabilitation pages: the patient's assignments and recommendations, the course page where the
instructor plans classes and videos and marks attendance, the doctor's "attach an instructor", and the
join link that opens the meeting only inside the join window."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine import roles
from engine.accounts import service as accounts
from engine.accounts.models import User, UserRole
from engine.documents import service as documents
from engine.documents.storage import BlobStore
from engine.i18n import N_, UserError
from engine.messaging import service as messaging
from engine.monitoring.models import PLAN_ACTIVE
from engine.monitoring.plans import plans_of_patient
from engine.rehab import courses
from engine.rehab.models import CLASS_KINDS, VIDEO_LISTS
from engine.workflow import start_instance
from integrations.files import file_store
from integrations.video import rooms_for
from webui.db import db, session_factory
from webui.messages import user_message
from webui.rehab.blueprint import bp
from webui.security import client_ip, confirmed_required, roles_required
from webui.tasks.core import actor_for, connectors

VIDEO_TYPES = ("video/mp4", "video/webm", "video/quicktime", "application/pdf")


def _settings() -> Any:
    return current_app.extensions["carepath"].settings


def _store() -> BlobStore:
    return file_store(_settings())


def _fail(error: UserError, target: str) -> Any:
    db().rollback()
    flash(user_message(error), "error")
    return redirect(target)


@bp.app_context_processor
def _rehab_helpers() -> dict[str, Any]:
    # For the cabinet's home page: `{% include "rehab/_assignments.html" %}` needs only this.
    return {"rehab_assignments": lambda: assignments(current_user) if current_user.is_authenticated else None}


def assignments(user: Any) -> dict[str, Any]:
    """The patient's page (R-CAB-03): the doctors' part and the instructors' part of the assignments."""
    session = db()
    mine = [c for c in courses.courses_of(session, user) if c.patient_id == user.id]
    open_ids = [c.id for c in mine if c.status == "open"]
    people = {u.id: u for u in _users(session, {c.doctor_id for c in mine} | {c.instructor_id for c in mine})}
    chats = {c.doctor_id: c for c in messaging.conversations_of(session, user)
             if c.patient_id == user.id and c.kind == "correspondence" and c.status == "open"}
    for doctor_id in chats:
        people.setdefault(doctor_id, session.get(User, doctor_id))
    lists = courses.videos(session, open_ids)
    # The doctor's part of the assignments is remote monitoring (seed 000): each active plan, by doctor.
    plans: dict[int, list[Any]] = {}
    for plan in plans_of_patient(session, user.id):
        if plan.status == PLAN_ACTIVE:
            plans.setdefault(plan.doctor_id, []).append(plan)
            people.setdefault(plan.doctor_id, session.get(User, plan.doctor_id))
    return {
        "courses": mine,
        "people": people,
        "plans": plans,
        "doctors": sorted({c.doctor_id for c in mine} | set(chats) | set(plans)),
        "chats": chats,
        "upcoming": courses.seats(session, patient_id=user.id, course_ids=open_ids, upcoming=True, limit=10),
        "video_count": sum(len(v) for v in lists.values()),
    }


def _users(session: Any, ids: set[int]) -> list[Any]:
    return [u for u in (session.get(User, i) for i in ids) if u is not None]


@bp.route("/")
@login_required
def home() -> Any:
    session = db()
    context: dict[str, Any] = {"is_patient": current_user.has_role(roles.PATIENT)}
    if context["is_patient"]:
        context["mine"] = assignments(current_user)
    if current_user.has_role(roles.DOCTOR, roles.INSTRUCTOR):
        led = [c for c in courses.courses_of(session, current_user) if current_user.id in (c.doctor_id, c.instructor_id)]
        context["led"] = led
        context["people"] = {u.id: u for u in _users(session, {c.patient_id for c in led} | {c.instructor_id for c in led}
                                                      | {c.doctor_id for c in led})}
        context["missed"] = courses.missed(session, current_user)
    return render_template("rehab/home.html", **context)


@bp.route("/recommendations")
@login_required
def recommendations() -> Any:
    session = db()
    ids = [c.id for c in courses.courses_of(session, current_user)
           if c.patient_id == current_user.id and c.status == "open"]
    return render_template("rehab/recommendations.html", lists=courses.videos(session, ids), kinds=VIDEO_LISTS)


@bp.route("/courses/<int:course_id>")
@login_required
def course_page(course_id: int) -> Any:
    session = db()
    course = courses.get_course(session, current_user, course_id)
    manage = current_user.id == course.instructor_id
    # A group class may seat the instructor's other open courses' patients.
    others = [c for c in courses.courses_of(session, current_user, open_only=True)
              if manage and c.instructor_id == current_user.id and c.id != course.id]
    people = {u.id: u for u in _users(session, {course.patient_id, course.doctor_id, course.instructor_id}
                                      | {c.patient_id for c in others})}
    return render_template(
        "rehab/course.html", course=course, manage=manage, people=people, others=others, kinds=CLASS_KINDS,
        upcoming=courses.seats(session, course_ids=[course.id], upcoming=True),
        past=courses.seats(session, course_ids=[course.id], upcoming=False),
        lists=courses.videos(session, [course.id]), video_kinds=VIDEO_LISTS, repeats=list(courses.REPEATS),
        local_parts=_local_parts,
    )


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(current_user.timezone or "Europe/Moscow")
    except (KeyError, ValueError):
        return ZoneInfo("Europe/Moscow")


def _local_parts(moment: datetime) -> tuple[str, str]:
    """A class's start as the date and time fields of the move form show it, in the instructor's zone."""
    local = moment.astimezone(_zone())
    return local.date().isoformat(), local.strftime("%H:%M")


def _local_datetime(date_text: str, time_text: str) -> datetime:
    try:
        naive = datetime.fromisoformat(f"{date_text}T{time_text}")
    except ValueError:
        raise UserError(N_("Enter the date and the time of the class.")) from None
    return naive.replace(tzinfo=_zone())


def _int(name: str, default: int = 0) -> int:
    value = request.form.get(name, "").strip()
    if not value.isdigit():
        if default:
            return default
        raise UserError(N_("Enter a whole number."))
    return int(value)


@bp.route("/courses/<int:course_id>/classes", methods=["POST"])
@roles_required(roles.INSTRUCTOR)
def plan(course_id: int) -> Any:
    target = url_for("rehab.course_page", course_id=course_id)
    ids = [course_id] + [int(v) for v in request.form.getlist("with_course") if v.isdigit()]
    rooms = rooms_for(_settings().video_base_url)
    try:
        plan = courses.ClassPlan(
            kind=request.form.get("kind", ""), title=request.form.get("title", ""),
            first_start=_local_datetime(request.form.get("date", ""), request.form.get("time", "")),
            duration_minutes=_int("duration"), repeat=request.form.get("repeat", "none"),
            count=_int("count", 1))
        created = courses.plan_classes(db(), current_user, ids, plan, new_meeting_url=lambda: rooms.new_meeting().url,
                                       ip=client_ip())
        touched = courses.course_ids_of_class(created[0])
        db().commit()
    except UserError as error:
        return _fail(error, target)
    courses.wake_courses(session_factory(), touched, connectors())
    flash(_("Classes planned: %(num)s.", num=len(created)), "success")
    return redirect(target)


def _change_class(change: Any, done: str) -> Any:
    """Cancel or move a class, then wake its courses so that their reminders follow the change."""
    target = request.form.get("back", "") or url_for("rehab.home")
    target = target if target.startswith("/rehab/") else url_for("rehab.home")
    try:
        item = change()
        touched = courses.course_ids_of_class(item)
        db().commit()
    except UserError as error:
        return _fail(error, target)
    courses.wake_courses(session_factory(), touched, connectors())
    flash(done, "success")
    return redirect(target)


@bp.route("/classes/<int:class_id>/cancel", methods=["POST"])
@roles_required(roles.INSTRUCTOR)
def cancel(class_id: int) -> Any:
    return _change_class(lambda: courses.cancel_class(db(), current_user, class_id, ip=client_ip()),
                         _("The class is cancelled."))


@bp.route("/classes/<int:class_id>/move", methods=["POST"])
@roles_required(roles.INSTRUCTOR)
def move(class_id: int) -> Any:
    def change() -> Any:
        new_start = _local_datetime(request.form.get("date", ""), request.form.get("time", ""))
        return courses.move_class(db(), current_user, class_id, new_start, ip=client_ip())

    return _change_class(change, _("The class is moved."))


@bp.route("/seats/<int:seat_id>/attendance", methods=["POST"])
@roles_required(roles.INSTRUCTOR)
def attendance(seat_id: int) -> Any:
    try:
        seat = courses.mark_attendance(db(), current_user, seat_id, request.form.get("attendance", ""), ip=client_ip())
        target = url_for("rehab.course_page", course_id=seat.course_id)
        db().commit()
    except UserError as error:
        return _fail(error, url_for("rehab.home"))
    flash(_("Attendance saved."), "success")
    return redirect(target)


@bp.route("/courses/<int:course_id>/videos", methods=["POST"])
@roles_required(roles.INSTRUCTOR)
def add_video(course_id: int) -> Any:
    target = url_for("rehab.course_page", course_id=course_id)
    session = db()
    try:
        course = courses.get_course(session, current_user, course_id, manage=True)
        upload = request.files.get("file")
        document_id = None
        if upload is not None and upload.filename:
            limits = documents.Limits(max_bytes=_settings().upload_max_mb * 1024 * 1024, allowed=VIDEO_TYPES)
            document = documents.upload(session, _store(), patient_id=course.patient_id, uploader_id=current_user.id,
                                        filename=upload.filename, data=upload.read(), ip=client_ip(), limits=limits,
                                        purpose="rehab_video", reference=f"rehab_course:{course.id}")
            document_id = document.id
        courses.add_video(session, current_user, course_id, category=request.form.get("category", ""),
                          title=request.form.get("title", ""), description=request.form.get("description", ""),
                          url=request.form.get("url", ""), document_id=document_id, ip=client_ip())
        session.commit()
    except UserError as error:
        return _fail(error, target)
    flash(_("The video is recommended."), "success")
    return redirect(target)


@bp.route("/videos/<int:video_id>/file")
@login_required
def video_file(video_id: int) -> Any:
    session = db()
    try:
        video = courses.video_for(session, current_user, video_id)
        if video.document_id is None:
            abort(404)
        # The uploader (instructor) and the patient may read it; the doctor sees the course but not this file.
        document, data = documents.read(session, _store(), video.document_id, user_id=current_user.id, ip=client_ip())
        session.commit()
    except UserError as error:
        return render_template("errors/error.html", message=user_message(error), code=error.status), error.status
    return Response(data, mimetype=document.content_type,
                    headers={"Content-Disposition": f'inline; filename="{document.filename}"'})


@bp.route("/classes/<int:class_id>/join")
@confirmed_required
def join(class_id: int) -> Any:
    """The emailed button and "Join class" lead here; the meeting opens only inside the join window."""
    try:
        url = courses.join_target(db(), current_user, class_id)
    except UserError as error:
        return render_template("errors/error.html", message=user_message(error), code=error.status), error.status
    return redirect(url)


@bp.route("/attach", methods=["GET", "POST"])
@roles_required(roles.DOCTOR)
def attach() -> Any:
    session = db()
    instructors = list(session.scalars(select(User).join(UserRole).where(UserRole.role == roles.INSTRUCTOR)
                                       .order_by(User.last_name, User.first_name)))
    if request.method == "POST":
        patient = accounts.find_by_email(session, request.form.get("patient_email", ""))
        instructor_id = request.form.get("instructor_id", "")
        try:
            if patient is None:
                raise UserError(N_("There is no such patient."))
            if not instructor_id.isdigit():
                raise UserError(N_("There is no such instructor."))
            courses.check_attachment(session, current_user, patient.id, int(instructor_id))
            session.rollback()
            start_instance(session_factory(), courses.MODEL_ID, actor_for(current_user),
                           data={"doctor_id": current_user.id, "instructor_id": int(instructor_id),
                                 "title": request.form.get("title", "")[:200]},
                           patient_id=patient.id, connectors=connectors())
        except UserError as error:
            session.rollback()
            flash(user_message(error), "error")
            return render_template("rehab/attach.html", instructors=instructors, form=request.form), 400
        flash(_("The instructor is attached. They will plan the classes."), "success")
        return redirect(url_for("rehab.home"))
    return render_template("rehab/attach.html", instructors=instructors, form={})

