"""The reception day: a doctor's own tickets of a day, or (managers) an institution's, each past one marked
"visited" or "missed" (engine.registry.visits checks who may). Only a visited ticket can then be rated.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine import roles
from engine.clock import now
from engine.i18n import UserError
from engine.registry import visits
from engine.registry.models import Institution, Ticket
from engine.registry.schedules import local_today
from webui.db import db
from webui.messages import user_message
from webui.registry.blueprint import visits_bp as bp
from webui.registry.forms import ConfirmForm
from webui.security import client_ip, roles_required

STAFF = (roles.DOCTOR, roles.MANAGER, roles.ADMIN)
HOME_ZONE = "Asia/Yekaterinburg"  # Khanty-Mansiysk, where the seed's registry is


def _is_registry_staff() -> bool:
    return bool(current_user.has_role(*visits.REGISTRY_STAFF))


def _day(institution: Institution | None) -> date:
    raw = (request.values.get("day") or "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            flash(_("Enter dates as day, month and year."), "error")
    # A doctor linked to no registry doctor has no institution: the registry's home time zone then.
    return local_today(institution) if institution else now().astimezone(ZoneInfo(HOME_ZONE)).date()


@bp.route("/")
@roles_required(*STAFF)
def day() -> Any:
    """Managers choose the institution; a doctor sees their own tickets wherever they receive."""
    mine = visits.doctors_of(db(), current_user.id)
    institutions: list[Institution] = []
    institution: Institution | None = None
    if _is_registry_staff():
        institutions = list(db().scalars(select(Institution).order_by(Institution.name)))
        chosen = request.args.get("institution", type=int)
        institution = next((i for i in institutions if i.id == chosen), institutions[0] if institutions else None)
    elif mine:
        institution = db().get(Institution, mine[0].institution_id)
    shown = _day(institution)
    if _is_registry_staff():
        rows = visits.day_tickets(db(), shown, institution_id=institution.id) if institution else []
    else:
        rows = visits.day_tickets(db(), shown, doctor_ids=[d.id for d in mine])
    return render_template("registry/visits.html", rows=rows, day=shown, institutions=institutions,
                           institution=institution, linked=bool(mine) or _is_registry_staff(), form=ConfirmForm())


@bp.route("/tickets/<int:ticket_id>/mark", methods=["POST"])
@roles_required(*STAFF)
def mark(ticket_id: int) -> Any:
    ticket = db().get(Ticket, ticket_id)
    # A ticket this person may not mark is "not found": an id must not confirm that a ticket exists.
    if ticket is None or not visits.may_mark(db(), ticket, current_user):
        abort(404)
    back = url_for("registry.visits.day", day=request.form.get("day") or None,
                   institution=ticket.institution_id if _is_registry_staff() else None)
    if not ConfirmForm().validate():
        flash(_("The form has expired; try again."), "error")
        return redirect(back)
    try:
        changed = visits.mark(db(), ticket, outcome=request.form.get("outcome", ""), user=current_user,
                              ip=client_ip())
        db().commit()
    except UserError as error:
        db().rollback()
        flash(user_message(error), "error")
        return redirect(back)
    if changed:
        flash(_("Ticket No. %(number)s is marked as attended.", number=ticket.number) if ticket.status == "visited"
              else _("Ticket No. %(number)s is marked as missed.", number=ticket.number), "success")
    return redirect(back)
