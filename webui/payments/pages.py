"""The patient's side: the priced services and their free times, the contract (read, code, sign), the
booking with its price and email checked, the payment page with «Pay», the return from YooKassa, and the
signed contracts with the personal-data consent (personal data)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine.accounts.models import ConsentRecord
from engine.documents.models import Document
from engine.i18n import N_, UserError
from engine.payments import booking, contracts, prices, service
from engine.payments.models import ContractSignature, ServicePrice
from engine.registry.models import Institution, Slot
from integrations.files import file_store
from webui.db import db
from webui.messages import user_message
from webui.payments.blueprint import bp
from webui.payments.shared import payment_settings, provider
from webui.security import CSP, client_ip, confirmed_required
from webui.tasks.core import connectors, sessions
from workflows import payments as flows

CHECKOUT_ORIGINS = ("https://yoomoney.ru", "https://*.yoomoney.ru", "https://*.yookassa.ru")


@bp.route("/")
@confirmed_required
def index() -> Any:
    session = db()
    rows = service.for_patient(session, current_user.id)
    desk = service.awaiting(session) if current_user.has_role("manager") else []
    return render_template("payments/index.html", payments=rows, desk=desk)


@bp.route("/offers")
@confirmed_required
def offers() -> Any:
    session = db()
    found = [(offer, prices.free_slots(session, offer.price)) for offer in prices.offers(session)]
    return render_template("payments/offers.html", offers=found)


def _slot_and_price(slot_id: int) -> tuple[Slot, ServicePrice]:
    session = db()
    slot = session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    price = prices.price_for(session, slot.institution_id, slot.specialty_id)
    if price is None:
        abort(404)
    return slot, price


@bp.route("/book/<int:slot_id>", methods=["GET", "POST"])
@confirmed_required
def confirm(slot_id: int) -> Any:
    """Check the email and the price, then book: the contract first if it is not signed (or changed)."""
    slot, price = _slot_and_price(slot_id)
    session = db()
    if contracts.to_sign(session, current_user.id, slot.institution_id) is not None:
        return redirect(url_for("payments.contract", institution_id=slot.institution_id, slot=slot_id))
    if request.method == "POST":
        session.rollback()
        try:
            _consultation, payment = booking.book(sessions(), current_user.id, slot_id, connectors=connectors(),
                                                  ip=client_ip())
        except UserError as error:
            flash(user_message(error), "error")
            return redirect(url_for("payments.offers"))
        flash(_("The consultation is booked and held until it is paid."), "success")
        return redirect(url_for("payments.detail", payment_id=payment.id))
    institution = session.get(Institution, slot.institution_id)
    return render_template("payments/confirm.html", slot=slot, price=price, institution=institution)


@bp.route("/contract/<int:institution_id>", methods=["GET", "POST"])
@confirmed_required
def contract(institution_id: int) -> Any:
    session = db()
    text = contracts.current(session, institution_id)
    if text is None:
        abort(404)
    slot = request.values.get("slot", type=int)
    signed = contracts.signature_of(session, current_user.id, text.id)
    sent_to = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "code":
                sent_to = contracts.send_code(session, current_user, text,
                                              channel=request.form.get("channel", "email"), ip=client_ip())
                session.commit()
                flash(_("The code has been sent to %(to)s.", to=sent_to), "success")
            elif action == "sign":
                if str(text.version) != request.form.get("version"):
                    raise UserError(N_("The contract has a new version. Please read it again."))
                contracts.sign(session, current_user, text.id, request.form.get("code", ""), ip=client_ip())
                session.commit()
                flash(_("The contract is signed. Its copy is in your personal data."), "success")
                if slot:
                    return redirect(url_for("payments.confirm", slot_id=slot))
                return redirect(url_for("payments.personal_data"))
        except UserError as error:
            session.commit()  # a wrong code counts against the attempts
            flash(user_message(error), "error")
            sent_to = "" if action == "sign" else None
    institution = session.get(Institution, institution_id)
    return render_template("payments/contract.html", contract=text, institution=institution, slot=slot,
                           signed=signed, sent_to=sent_to)


@bp.route("/<int:payment_id>")
@confirmed_required
def detail(payment_id: int) -> Any:
    session = db()
    payment = service.get_for(session, current_user, payment_id)
    page = make_response(render_template("payments/detail.html", p=payment, online=provider().online,
                                         is_patient=payment.patient_id == current_user.id))
    # «Pay» posts here and is redirected to the provider's checkout: the page's form-action must allow it.
    page.headers["Content-Security-Policy"] = CSP.replace("form-action 'self'",
                                                          f"form-action 'self' {' '.join(checkout_origins())}")
    return page


def checkout_origins() -> list[str]:
    """Where a payment is confirmed: YooKassa's checkout pages, and the origin of the configured API (a
    test's local server)."""
    api = urlsplit(payment_settings().api_url)
    return [*CHECKOUT_ORIGINS, f"{api.scheme}://{api.netloc}"]


@bp.route("/consultation/<int:consultation_id>")
@confirmed_required
def of_consultation(consultation_id: int) -> Any:
    payment = service.of_consultation(db(), consultation_id)
    if payment is None:
        abort(404)
    return redirect(url_for("payments.detail", payment_id=service.get_for(db(), current_user, payment.id).id))


@bp.route("/<int:payment_id>/pay", methods=["POST"])
@confirmed_required
def pay(payment_id: int) -> Any:
    session = db()
    session.rollback()
    try:
        url = flows.pay_online(sessions(), provider(), current_user, payment_id,
                               return_url=payment_settings().return_url, ip=client_ip())
    except UserError as error:
        if error.status == 404:
            raise
        flash(user_message(error), "error")
        return redirect(url_for("payments.detail", payment_id=payment_id))
    return redirect(url)


@bp.route("/<int:payment_id>/return")
@confirmed_required
def returned(payment_id: int) -> Any:
    """Back from YooKassa: the payment is re-fetched (a webhook may still be on its way)."""
    db().rollback()
    result = flows.refresh(sessions(), provider(), current_user, payment_id, ip=client_ip(), connectors=connectors())
    if result in ("paid", "nothing"):
        flash(_("Payment received. The receipt has been sent to your email."), "success")
    elif result in ("pending", "unknown"):
        flash(_("The payment is being processed. This page shows it as soon as it arrives."), "info")
    return redirect(url_for("payments.detail", payment_id=payment_id))


@bp.route("/personal-data")
@confirmed_required
def personal_data() -> Any:
    """The signed contracts and the personal-data consent (SZONKC: «личные данные»)."""
    session = db()
    signed = contracts.signed_by(session, current_user.id)
    consents = list(session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == current_user.id)
                                    .order_by(ConsentRecord.id.desc())))
    return render_template("payments/personal_data.html", signed=signed, consents=consents)


@bp.route("/contracts/<int:signature_id>.pdf")
@confirmed_required
def contract_pdf(signature_id: int) -> Any:
    session = db()
    row = session.get(ContractSignature, signature_id)
    if row is None or row.user_id != current_user.id or row.document_id is None:
        abort(404)
    document = session.get(Document, row.document_id)
    if document is None:
        abort(404)
    data = file_store(current_app.extensions["carepath"].settings).read(document.storage_key)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="contract-{row.id}.pdf"'})
