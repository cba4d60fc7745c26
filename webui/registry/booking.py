"""Booking a time, the ticket page (confirmation code, print, .ics) and the cabinet's tickets section.

Who may see a ticket: the account that booked it from the cabinet (by id, checked against the owner),
or whoever holds the ticket's unguessable token (kept in the booker's session and in the emailed link)
for a booking without an account. Nothing is reachable by changing an id in the address.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.validators import DataRequired

from engine import audit, roles
from engine.accounts.consent import personal_data_consent
from engine.consultations.models import Consultation
from engine.consultations.service import of_ticket as consultation_of_ticket
from engine.i18n import N_, Conflict, UserError
from engine.registry import booking, identity, messages, tickets
from engine.registry.models import (
    ACTIVE_TICKET,
    T_CONFIRMED,
    T_HELD,
    T_VISITED,
    DoctorPost,
    Institution,
    Slot,
    Ticket,
)
from integrations.calendar import appointment_ics
from reports.ticket import TicketData, render_ticket
from webui.db import db, session_factory
from webui.extensions import limiter
from webui.messages import user_message
from webui.registry.blueprint import booking_bp as bp
from webui.registry.forms import BookingForm, CancelByIdentityForm, CodeForm, ConfirmForm, RateForm
from webui.security import client_ip

TOKENS_KEY = "registry_tokens"
MAX_TOKENS = 10
REGISTRY_ACTIONS = ("booking", "cancellation", "booking_refused", "ticket_annulled", "ticket_cancelled_by_clinic",
                    "ticket_visited", "ticket_missed", "visit_rated")


def _connectors() -> Any:
    from webui.registry.shared import connectors

    return connectors()


def _settings() -> Any:
    return current_app.extensions["carepath"].settings


def _base_url() -> str:
    return _settings().base_url or request.host_url.rstrip("/")


def _remember(token: str) -> None:
    tokens = [t for t in session.get(TOKENS_KEY, []) if t != token]
    session[TOKENS_KEY] = ([token] + tokens)[:MAX_TOKENS]


def active_tickets_in_session(institution_id: int | None = None) -> list[Ticket]:
    """«Активные талоны» of the booking page: the cabinet's, or those booked in this browser."""
    query = select(Ticket).where(Ticket.status.in_(ACTIVE_TICKET), Ticket.starts_at > booking.now())
    if current_user.is_authenticated:
        query = query.where(Ticket.user_id == current_user.id)
    else:
        hashes = [tickets.token_hash(t) for t in session.get(TOKENS_KEY, [])]
        if not hashes:
            return []
        query = query.where(Ticket.access_token_hash.in_(hashes))
    if institution_id is not None:
        query = query.where(Ticket.institution_id == institution_id)
    return list(db().scalars(query.order_by(Ticket.starts_at)))


def _is_cabinet_patient() -> bool:
    return bool(current_user.is_authenticated and current_user.has_role(roles.PATIENT))


@bp.route("/book/<int:slot_id>", methods=["GET", "POST"])
def book(slot_id: int) -> Any:
    slot = db().get(Slot, slot_id)
    if slot is None:
        abort(404)
    post = db().get(DoctorPost, slot.post_id)
    inst = db().get(Institution, slot.institution_id)
    if _is_cabinet_patient():
        return _book_from_cabinet(slot, post, inst)
    form = BookingForm()
    consent = personal_data_consent(str(get_locale()))
    sms = bool(_settings().sms_gateway_url)
    if not sms:  # the confirmation code can only go by email: the address is required, and marked so
        form.email.flags.required = True
        form.email.validators = [DataRequired(_l("Enter your email address: the confirmation code is sent there.")),
                                 *form.email.validators]
    if request.method == "POST" and form.validate():
        given = identity.Identity(
            doc_type=form.doc_type.data, doc_number=form.doc_number.data or "", last_name=form.last_name.data or "",
            first_name=form.first_name.data or "", patronymic=form.patronymic.data or "",
            birth_date=form.birth_date.data, phone=form.phone.data or "", email=form.email.data or "",
            consent=bool(form.consent.data), locale=str(get_locale()),
        )
        try:
            person = identity.clean_identity(given, email_required=not sms)
            user_id = identity.ensure_light_account(session_factory(), person)
            request_ = booking.BookingRequest(slot.id, user_id, person, False, "sms" if sms else "email",
                                              _base_url(), client_ip(), consent.version)
            booked = booking.book(session_factory(), request_, _connectors())
        except Conflict as error:
            return _taken(error, post)
        except UserError as error:
            flash(user_message(error), "error")
            return render_template("registry/book.html", form=form, slot=slot, post=post, inst=inst,
                                   consent=consent, sms=sms), error.status
        _remember(booked.token)
        return redirect(url_for("registry.booking.ticket_page", token=booked.token))
    status = 400 if request.method == "POST" else 200
    return render_template("registry/book.html", form=form, slot=slot, post=post, inst=inst, consent=consent,
                           sms=sms), status


def _taken(error: UserError, post: DoctorPost | None) -> Any:
    flash(user_message(error), "error")
    if post is None:
        return redirect(url_for("registry.index"))
    return redirect(url_for("registry.times", post_id=post.id))


def _book_from_cabinet(slot: Slot, post: DoctorPost | None, inst: Institution | None) -> Any:
    """R-BOOK-41: one step, no code, no SMS; the ticket appears under «Талоны на прием»."""
    form = ConfirmForm()
    if not current_user.can_act_medically:
        flash(_("Confirm your email address first: open the link we sent you."), "warning")
        return redirect(url_for("cabinet.home"))
    if request.method == "POST" and form.validate():
        request_ = booking.BookingRequest(slot.id, current_user.id, identity.identity_of_user(current_user), True,
                                          "email", _base_url(), client_ip())
        try:
            booked = booking.book(session_factory(), request_, _connectors())
        except Conflict as error:
            return _taken(error, post)
        except UserError as error:
            flash(user_message(error), "error")
            return redirect(url_for("registry.times", post_id=slot.post_id))
        db().rollback()  # end the request's read snapshot: the booking was committed by the engine's step
        ticket = db().get(Ticket, booked.ticket_id)
        assert ticket is not None and inst is not None
        from webui.registry.shared import regtime

        flash(_("We are expecting you on %(when)s. Ticket No. %(number)s.",
                when=regtime(ticket.starts_at, inst.timezone), number=booked.number), "success")
        return redirect(url_for("registry.booking.my_tickets"))
    return render_template("registry/book_cabinet.html", form=form, slot=slot, post=post, inst=inst)


def _ticket_by_token(token: str) -> Ticket:
    try:
        return booking.ticket_by_token(db(), token)
    except UserError:
        abort(404)


@bp.route("/ticket/<token>", methods=["GET", "POST"])
def ticket_page(token: str) -> Any:
    ticket = _ticket_by_token(token)
    _remember(token)
    form = CodeForm()
    status = 200
    if request.method == "POST" and form.validate():
        try:
            after = booking.submit_code(session_factory(), ticket.id, form.code.data or "", _connectors())
        except UserError as error:
            flash(user_message(error), "error")
            status = error.status
        else:
            outcome = booking.code_outcome(after)
            if outcome["confirmed"]:
                flash(_("Your appointment is confirmed. You can print the ticket."), "success")
            elif outcome["annulled"]:
                flash(_("Too many wrong codes: the booking is annulled and the time is free again. "
                        "Choose a time once more."), "error")
            else:
                flash(_("The code is wrong. Attempts left: %(n)s.", n=outcome["attempts_left"]), "error")
            return redirect(url_for("registry.booking.ticket_page", token=token))
    elif request.method == "POST":
        status = 400
    db().rollback()  # a fresh snapshot: the engine step committed in its own transaction
    ticket = _ticket_by_token(token)
    return render_template("registry/ticket.html", ticket=ticket, form=form, token=token,
                           **_ticket_facts(ticket)), status


def _ticket_facts(ticket: Ticket) -> dict[str, Any]:
    post = db().get(DoctorPost, ticket.post_id)
    inst = db().get(Institution, ticket.institution_id)
    assert post is not None and inst is not None
    return {"post": post, "inst": inst, "doctor": post.doctor}


def _pdf(ticket: Ticket) -> Response:
    if ticket.status not in (T_CONFIRMED, T_VISITED):
        abort(404)
    facts = _ticket_facts(ticket)
    from webui.registry.shared import regtime

    data = TicketData(
        title=_("Ticket No. %(number)s", number=ticket.number),
        rows=[
            (_("Patient"), ticket.person_name or ticket.doc_number),
            (_("Doctor"), facts["doctor"].full_name),
            (_("Specialty"), facts["post"].specialty.name),
            (_("Department"), facts["post"].department.name),
            (_("Date and time"), regtime(ticket.starts_at, facts["inst"].timezone)),
            (_("Institution"), facts["inst"].name),
            (_("Address"), facts["inst"].address),
        ],
        note=_("On the day of the appointment, come to the registry of your medical institution with this ticket "
               "or its number."),
        footer=_("Electronic registry — CarePath"),
        author=facts["inst"].name,
        subject=_("Appointment ticket: %(institution)s", institution=facts["inst"].name),
    )
    response = Response(render_ticket(data), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="ticket-{ticket.number}.pdf"'
    return response


def _ics(ticket: Ticket) -> Response:
    if ticket.status not in (T_CONFIRMED, T_VISITED):
        abort(404)
    facts = _ticket_facts(ticket)
    body = appointment_ics(
        uid=f"ticket-{ticket.number}@carepath", starts_at=ticket.starts_at, ends_at=ticket.ends_at,
        summary=_("Appointment: %(doctor)s", doctor=facts["doctor"].full_name),
        location=f"{facts['inst'].name}, {facts['inst'].address}",
        description=_("Ticket No. %(number)s, %(specialty)s", number=ticket.number,
                      specialty=facts["post"].specialty.name),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="ticket-{ticket.number}.ics"'
    return response


# Number + identity is a guessable pair for someone who knows a person: attempts are few per address.
CANCEL_LIMIT = "20 per hour"


@bp.route("/cancel", methods=["GET", "POST"])
@limiter.limit(CANCEL_LIMIT, methods=["POST"])
def cancel_by_identity() -> Any:
    """A ticket booked without an account is cancelled with its number and the identity used to book it
    (the link is in the confirmation mail and on the ticket page): first the check, then «Cancel the
    visit?» Yes / No, then the cancellation, journalled."""
    form = CancelByIdentityForm(number=request.args.get("number", ""))
    if request.method != "POST" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("registry/cancel_identity.html", form=form), status
    session = db()
    try:
        ticket = tickets.ticket_for_identity(session, form.number.data or "", form.identity.data or "")
        if ticket.status != T_CONFIRMED:
            raise UserError(N_("Only a confirmed ticket can be cancelled."))
        if request.form.get("answer") != "yes":  # the check passed: ask «Cancel the visit?»
            return render_template("registry/cancel.html", ticket=ticket, form=form, by_identity=True,
                                   **_ticket_facts(ticket))
        tickets.cancel_by_identity(session, ticket, ip=client_ip())
        messages.notify(session, ticket, "ticket_cancelled", base_url=_base_url())
        session.commit()
    except UserError as error:
        session.rollback()
        flash(user_message(error), "error")
        return render_template("registry/cancel_identity.html", form=form), error.status
    flash(_("The visit is cancelled; the time is free for others."), "success")
    return redirect(url_for("registry.index"))


@bp.route("/ticket/<token>/ticket.pdf")
def ticket_pdf(token: str) -> Any:
    return _pdf(_ticket_by_token(token))


@bp.route("/ticket/<token>/ticket.ics")
def ticket_ics(token: str) -> Any:
    return _ics(_ticket_by_token(token))


# ------------------------------------------------------------------ the cabinet section


def _own_ticket(ticket_id: int) -> Ticket:
    ticket = db().get(Ticket, ticket_id)
    # Someone else's ticket is "not found", not "forbidden": an id must not confirm that a ticket exists.
    if ticket is None or ticket.user_id != current_user.id:
        abort(404)
    return ticket


@bp.route("/my")
@login_required
def my_tickets() -> Any:
    every = list(db().scalars(select(Ticket).where(Ticket.user_id == current_user.id).order_by(Ticket.starts_at)))
    # A ticket that holds an online consultation's time is not a visit to the clinic: it is listed apart,
    # with the consultation's page, never with an address to come to or a ticket to print.
    online = dict(db().execute(select(Consultation.ticket_id, Consultation.id).where(
        Consultation.patient_id == current_user.id, Consultation.ticket_id.is_not(None))).all())
    mine = [t for t in every if t.id not in online]
    now = booking.now()
    upcoming_online = [(t, online[t.id]) for t in every
                       if t.id in online and t.status in ACTIVE_TICKET and t.starts_at > now]
    active = [t for t in mine if t.status in ACTIVE_TICKET and t.starts_at > now]
    # A cancelled ticket of a future date is not a past visit: it has its own list, nearest first.
    cancelled = [t for t in mine if t not in active and t.starts_at > now]
    past = sorted((t for t in mine if t not in active and t.starts_at <= now), key=lambda t: t.starts_at,
                  reverse=True)
    journal = audit.journal(db(), subject_id=current_user.id, per_page=200)
    entries = [e for e in journal.entries if e.action in REGISTRY_ACTIONS][:30]
    facts = {t.id: _ticket_facts(t) for t in every}
    return render_template("registry/my.html", active=active, past=past, facts=facts, entries=entries,
                           online=upcoming_online, cancelled=cancelled,
                           rate_form=RateForm(), show_past=request.args.get("past") != "0", T_HELD=T_HELD)


@bp.route("/my/tickets/<int:ticket_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(ticket_id: int) -> Any:
    ticket = _own_ticket(ticket_id)
    consultation = consultation_of_ticket(db(), ticket.id)
    if consultation is not None:
        # Freeing the slot here would leave the consultation scheduled with no time: it is cancelled on
        # its own page, with a reason, and that frees the slot and tells the doctor.
        flash(_("This time belongs to online consultation No. %(n)s. Cancel it on the consultation page, "
                "with a reason: the doctor will be told and the time freed.", n=consultation.id), "warning")
        return redirect(url_for("consultations.detail", consultation_id=consultation.id, _anchor="cancel-title"))
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        try:
            tickets.cancel(db(), ticket, user_id=current_user.id, ip=client_ip())
            messages.notify(db(), ticket, "ticket_cancelled", base_url=_base_url())
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return redirect(url_for("registry.booking.my_tickets"))
        flash(_("The visit is cancelled; the time is free for others."), "success")
        return redirect(url_for("registry.booking.my_tickets"))
    return render_template("registry/cancel.html", ticket=ticket, form=form, **_ticket_facts(ticket))


@bp.route("/my/tickets/<int:ticket_id>/rate", methods=["POST"])
@login_required
def rate(ticket_id: int) -> Any:
    ticket = _own_ticket(ticket_id)
    form = RateForm()
    if not form.validate():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("registry.booking.my_tickets"))
    try:
        tickets.rate(db(), ticket, user_id=current_user.id, rating=int(form.rating.data or 0),
                     review=form.review.data or "", ip=client_ip())
        db().commit()
    except (UserError, ValueError) as error:
        db().rollback()
        flash(user_message(error) if isinstance(error, UserError) else _("Choose from 1 to 5 stars."), "error")
        return redirect(url_for("registry.booking.my_tickets"))
    flash(_("Thank you for rating the visit."), "success")
    return redirect(url_for("registry.booking.my_tickets"))


@bp.route("/my/tickets/<int:ticket_id>/ticket.pdf")
@login_required
def my_ticket_pdf(ticket_id: int) -> Any:
    return _pdf(_own_ticket(ticket_id))


@bp.route("/my/tickets/<int:ticket_id>/ticket.ics")
@login_required
def my_ticket_ics(ticket_id: int) -> Any:
    return _ics(_own_ticket(ticket_id))

