"""The electronic registry, public part: locality, institution list, institution page with the schedule
search, a doctor's available times, district lookup. Booking, tickets and the cabinet section are in
webui/registry/booking.py, the manager's pages in webui/registry/manage.py (child blueprints of this one,
all created in webui/registry/blueprint.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.i18n import N_, UserError
from engine.registry import districts, search
from engine.registry.models import INSTITUTION_TYPES, DoctorPost, Institution, Locality
from webui.db import db
from webui.messages import user_message
from webui.registry import booking
from webui.registry.blueprint import bp
from webui.registry.forms import TYPE_LABELS, WEEKDAYS, WEEKDAYS_SHORT, DistrictForm

LOCALITY_KEY = "registry_locality"


@bp.app_context_processor
def registry_labels() -> dict[str, Any]:
    return {"TYPE_LABELS": TYPE_LABELS, "WEEKDAYS": WEEKDAYS, "WEEKDAYS_SHORT": WEEKDAYS_SHORT}


@bp.after_request
def no_store(response: Any) -> Any:
    # Ticket pages carry personal data and tokens: never kept by shared caches or the back button.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def current_locality() -> Locality:
    chosen = session.get(LOCALITY_KEY)
    locality = db().get(Locality, chosen) if isinstance(chosen, int) else None
    if locality is None:
        # The seed's portal opens on Ханты-Мансийск; the first locality with institutions plays that part.
        locality = db().scalars(
            select(Locality).join(Institution, Institution.locality_id == Locality.id).order_by(Locality.id)
        ).first()
    if locality is None:
        abort(404)
    return locality


def _date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UserError(N_("Enter dates as day, month and year.")) from None


@bp.route("/")
def index() -> Any:
    localities = search.localities(db())
    return render_template("registry/index.html", localities=localities, locality=current_locality())


@bp.route("/locality", methods=["POST"])
def choose_locality() -> Any:
    locality = db().get(Locality, request.form.get("locality", type=int) or 0)
    if locality is None:
        flash(_("Choose a locality from the list."), "error")
        return redirect(url_for("registry.index"))
    session[LOCALITY_KEY] = locality.id
    return redirect(url_for("registry.institutions"))


@bp.route("/institutions")
def institutions() -> Any:
    locality = current_locality()
    kind = request.args.get("type") or None
    kind = kind if kind in INSTITUTION_TYPES else None
    specialty_id = request.args.get("specialty", type=int)
    street, house = (request.args.get("street") or "").strip(), (request.args.get("house") or "").strip()
    found = search.institutions(db(), locality.id, kind=kind, specialty_id=specialty_id)
    ranked = [districts.Ranked(i, None) for i in found]
    if street or house:
        try:
            point = districts.locate(db(), locality.id, street, house)
        except UserError as error:
            flash(user_message(error), "error")
            point = None
        if point is None and street and house:
            flash(_("This address is not in the address table; the list is not sorted by distance."), "warning")
        elif point is not None:
            ranked = districts.nearest_first(found, point)
    return render_template(
        "registry/institutions.html", locality=locality, ranked=ranked, kind=kind, specialty_id=specialty_id,
        specialties=search.specialties(db(), locality_id=locality.id), types=INSTITUTION_TYPES,
        street=street, house=house, near=bool(street and house),
    )


@bp.route("/institutions/<int:institution_id>")
def institution(institution_id: int) -> Any:
    inst = db().get(Institution, institution_id)
    if inst is None or not inst.active:
        abort(404)
    args = request.args
    filters = search.Filters(
        department=(args.get("department") or "")[:100], specialty_id=args.get("specialty", type=int),
        doctor=(args.get("doctor") or "")[:100], only_free=args.get("free") == "1",
    )
    results: list[search.PostSchedule] = []
    monday = search.week_start(search.now().astimezone(ZoneInfo(inst.timezone)).date())
    status = 200
    try:
        filters.date_from, filters.date_to = _date_arg("from"), _date_arg("to")
        results, monday = search.schedule(db(), inst, filters, _date_arg("week"))
    except UserError as error:
        flash(user_message(error), "error")
        status = 400
    query = {k: v for k, v in args.items() if k != "week" and v}
    return render_template(
        "registry/institution.html", inst=inst, filters=filters, results=results, monday=monday,
        weeks=[monday + timedelta(weeks=n) for n in (-1, 1)], one_day=timedelta(days=1), query=query,
        specialties=search.specialties(db(), institution_id=inst.id), today=search.now().date(),
        active=booking.active_tickets_in_session(inst.id),
    ), status


@bp.route("/posts/<int:post_id>/times")
def times(post_id: int) -> Any:
    post = db().get(DoctorPost, post_id)
    if post is None or not post.doctor.active:
        abort(404)
    inst = post.doctor.institution
    start = search.now().astimezone(ZoneInfo(inst.timezone)).date()
    try:
        start = max(_date_arg("from") or start, start)
    except UserError as error:
        flash(user_message(error), "error")
    days = search.available_times(db(), post, inst, start)
    return render_template("registry/times.html", post=post, inst=inst, days=days, start=start,
                           later=start + timedelta(days=14))


@bp.route("/district")
def district() -> Any:
    locality = current_locality()
    form = DistrictForm(request.args)
    form.institution.choices = [(i.id, i.name) for i in search.institutions(db(), locality.id)]
    found = None
    searched = False
    if request.args and form.validate():
        searched = True
        try:
            found = districts.find_district(db(), form.institution.data, form.street.data, form.house.data)
        except UserError as error:
            flash(user_message(error), "error")
            searched = False
    return render_template("registry/district.html", form=form, found=found, searched=searched,
                           locality=locality, no_match=districts.NO_MATCH)
