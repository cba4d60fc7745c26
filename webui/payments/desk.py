"""The managers' side: mark a payment made at the clinic's desk, set the prices of services, publish a new
version of an institution's contract. Every action is journalled by the engine."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine import roles
from engine.i18n import UserError
from engine.payments import contracts, prices, service
from engine.payments.models import KINDS, ServicePrice
from engine.registry.models import Institution, Specialty
from webui.db import db
from webui.messages import user_message
from webui.payments.blueprint import bp
from webui.security import client_ip, roles_required
from webui.tasks.core import connectors, sessions


@bp.route("/<int:payment_id>/paid-at-desk", methods=["POST"])
@roles_required(roles.MANAGER)
def mark_paid(payment_id: int) -> Any:
    session = db()
    session.rollback()
    try:
        service.mark_paid_at_desk(sessions(), current_user, payment_id, ip=client_ip(), connectors=connectors())
    except UserError as error:
        if error.status == 404:
            raise
        flash(user_message(error), "error")
    else:
        flash(_("The payment is recorded; the receipt has been sent to the patient."), "success")
    return redirect(url_for("payments.index"))


@bp.route("/prices", methods=["GET", "POST"])
@roles_required(roles.MANAGER)
def price_list() -> Any:
    session = db()
    status = 200
    if request.method == "POST":
        try:
            prices.set_price(session, actor_id=current_user.id, institution_id=request.form.get("institution_id", 0, type=int),
                             specialty_id=request.form.get("specialty_id", 0, type=int),
                             kind=request.form.get("kind", ""), amount=request.form.get("amount", ""),
                             active=request.form.get("active") == "1", ip=client_ip())
            session.commit()
            flash(_("The price is saved."), "success")
            return redirect(url_for("payments.price_list"))
        except UserError as error:
            session.rollback()
            flash(user_message(error), "error")
            status = 400
    rows = session.execute(select(ServicePrice, Institution, Specialty)
                           .join(Institution, Institution.id == ServicePrice.institution_id)
                           .join(Specialty, Specialty.id == ServicePrice.specialty_id)
                           .order_by(Institution.name, Specialty.name)).all()
    return render_template("payments/prices.html", rows=rows, kinds=KINDS,
                           institutions=list(session.scalars(select(Institution).order_by(Institution.name))),
                           specialties=list(session.scalars(select(Specialty).order_by(Specialty.name)))), status


@bp.route("/contracts/<int:institution_id>/edit", methods=["GET", "POST"])
@roles_required(roles.MANAGER)
def contract_edit(institution_id: int) -> Any:
    session = db()
    institution = session.get(Institution, institution_id)
    if institution is None:
        return render_template("errors/error.html", code=404, message=None), 404
    status = 200
    if request.method == "POST":
        try:
            row = contracts.publish(session, institution_id=institution_id, text=request.form.get("text", ""),
                                    actor_id=current_user.id, ip=client_ip())
            session.commit()
            flash(_("Version %(n)s of the contract is published.", n=row.version), "success")
            return redirect(url_for("payments.contract_edit", institution_id=institution_id))
        except UserError as error:
            session.rollback()
            flash(user_message(error), "error")
            status = 400
    return render_template("payments/contract_edit.html", institution=institution,
                           current=contracts.current(session, institution_id)), status
