"""Conversation pages (R-MSG): the doctor switches correspondence on; either side writes the first
message here (with files); later replies may come by email through the relay. The chat block
(`conversations/_chat.html` + `chat_context`) is reusable, e.g. by the duty doctor's consultation page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import roles
from engine.accounts import service as accounts
from engine.accounts.models import User
from engine.consultations.models import CANCELLED as CONSULTATION_CANCELLED
from engine.documents import service as documents
from engine.documents.storage import BlobStore
from engine.i18n import N_, UserError
from engine.messaging import service
from engine.messaging.models import DUTY_CHAT, Conversation
from integrations.files import file_store
from webui.db import db
from webui.messages import user_message
from webui.security import client_ip, confirmed_required, roles_required

bp = Blueprint("conversations", __name__, url_prefix="/conversations")


def _settings() -> Any:
    return current_app.extensions["carepath"].settings


def _relay() -> service.Relay:
    settings = _settings()
    return service.Relay(domain=settings.relay_domain, base_url=settings.base_url)


def _store() -> BlobStore:
    return file_store(_settings())


def chat_context(session: Any, user: Any, conversation: Conversation) -> dict[str, Any]:
    """What `conversations/_chat.html` needs: the messages, the two people, where the form posts."""
    people = {u.id: u for u in (session.get(User, conversation.doctor_id), session.get(User, conversation.patient_id))
              if u is not None}
    return {"conversation": conversation, "chat_messages": conversation.messages, "chat_people": people,
            "chat_me": user.id, "chat_action": url_for("conversations.post", conversation_id=conversation.id),
            "chat_other": people.get(service.other_side(conversation, user.id))}


@bp.route("/")
@login_required
def index() -> Any:
    session = db()
    mine = service.conversations_of(session, current_user)
    ids = {c.doctor_id for c in mine} | {c.patient_id for c in mine}
    people = {u.id: u for u in (session.get(User, i) for i in ids) if u is not None}
    return render_template("conversations/index.html", conversations=mine, people=people)


@bp.route("/enable", methods=["POST"])
@roles_required(roles.DOCTOR)
def enable() -> Any:
    session = db()
    patient = accounts.find_by_email(session, request.form.get("patient_email", ""))
    try:
        if patient is None:
            raise UserError(N_("There is no such patient."))
        conversation = service.enable(session, current_user, patient.id, ip=client_ip())
        session.commit()
    except UserError as error:
        session.rollback()
        flash(user_message(error), "error")
        return redirect(url_for("conversations.index"))
    flash(_("Correspondence is on: the patient can write to you, and you to them."), "success")
    return redirect(url_for("conversations.show", conversation_id=conversation.id))


@bp.route("/<int:conversation_id>")
@login_required
def show(conversation_id: int) -> Any:
    session = db()
    try:
        conversation = service.get(session, current_user, conversation_id)
    except UserError as error:
        return render_template("errors/error.html", message=user_message(error), code=error.status), error.status
    return render_template("conversations/show.html", **chat_context(session, current_user, conversation))


@bp.route("/<int:conversation_id>/messages", methods=["POST"])
@confirmed_required
def post(conversation_id: int) -> Any:
    session = db()
    # Back to the page the chat is embedded in (a consultation page), if it is one of ours.
    back = request.form.get("back", "")
    target = back if back.startswith("/") and not back.startswith("//") else url_for(
        "conversations.show", conversation_id=conversation_id)
    try:
        conversation = service.get(session, current_user, conversation_id)
        files = [service.Upload(f.filename or "file", f.read()) for f in request.files.getlist("files") if f.filename]
        limits = documents.Limits(max_bytes=_settings().upload_max_mb * 1024 * 1024)
        service.post(session, conversation, current_user, request.form.get("body", ""), relay=_relay(),
                     store=_store(), attachments=files, limits=limits, ip=client_ip())
        session.commit()
    except UserError as error:
        session.rollback()
        flash(user_message(error), "error")
        return redirect(target)
    flash(_("Message sent."), "success")
    return redirect(target)


@bp.route("/<int:conversation_id>/close", methods=["POST"])
@roles_required(roles.DOCTOR)
def close(conversation_id: int) -> Any:
    try:
        service.close(db(), current_user, conversation_id, ip=client_ip())
        db().commit()
    except UserError as error:
        db().rollback()
        flash(user_message(error), "error")
    return redirect(url_for("conversations.show", conversation_id=conversation_id))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> Any:
    session = db()
    try:
        document_id = service.attachment_document(session, current_user, attachment_id)
        document, data = documents.read(session, _store(), document_id, user_id=current_user.id, ip=client_ip())
        session.commit()
    except UserError as error:
        return render_template("errors/error.html", message=user_message(error), code=error.status), error.status
    return Response(data, mimetype=document.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{document.filename}"'})


# ------------------------------------------------------------------ the duty doctor's chat (route 2)


def _duty_reference(consultation_id: int) -> str:
    return f"consultation:{consultation_id}"


@bp.app_context_processor
def _duty_chat_helper() -> dict[str, Any]:
    def duty_chat(consultation: Any) -> dict[str, Any] | None:
        """Chat context for a route-2 consultation page, or None where no chat belongs."""
        if getattr(consultation, "route", None) != "duty" or not consultation.doctor_user_id:
            return None
        if consultation.status == CONSULTATION_CANCELLED:  # nobody is there to answer any more
            return None
        session = db()
        conversation = service.find(session, doctor_id=consultation.doctor_user_id, patient_id=consultation.patient_id,
                                    kind=DUTY_CHAT, reference=_duty_reference(consultation.id))
        back = url_for("consultations.detail", consultation_id=consultation.id)
        if conversation is None:
            return {"conversation": None, "chat_action": url_for("conversations.duty_post",
                                                                 consultation_id=consultation.id), "chat_back": back}
        return {**chat_context(session, current_user, conversation), "chat_back": back,
                "chat_action": url_for("conversations.duty_post", consultation_id=consultation.id)}

    return {"duty_chat": duty_chat}


@bp.route("/duty/<int:consultation_id>", methods=["POST"])
@confirmed_required
def duty_post(consultation_id: int) -> Any:
    """A message in the chat before a duty consultation; the first one opens the conversation."""
    from engine.consultations import service as consultations

    session = db()
    target = url_for("consultations.detail", consultation_id=consultation_id)
    try:
        consultation = consultations.get_for(session, current_user.id, consultation_id)
        if consultation.route != "duty" or not consultation.doctor_user_id:
            raise UserError(N_("There is no such conversation."))
        if consultation.status == CONSULTATION_CANCELLED:
            raise UserError(N_("The consultation is cancelled; its chat is closed."))
        conversation = service.find(session, doctor_id=consultation.doctor_user_id,
                                    patient_id=consultation.patient_id, kind=DUTY_CHAT,
                                    reference=_duty_reference(consultation.id))
        if conversation is None:
            doctor = session.get(User, consultation.doctor_user_id)
            assert doctor is not None
            conversation = service.enable(session, doctor, consultation.patient_id, kind=DUTY_CHAT,
                                          reference=_duty_reference(consultation.id), ip=client_ip())
        files = [service.Upload(f.filename or "file", f.read()) for f in request.files.getlist("files") if f.filename]
        service.post(session, conversation, current_user, request.form.get("body", ""), relay=_relay(),
                     store=_store(), attachments=files,
                     limits=documents.Limits(max_bytes=_settings().upload_max_mb * 1024 * 1024), ip=client_ip())
        session.commit()
    except UserError as error:
        session.rollback()
        flash(user_message(error), "error")
        return redirect(target)
    flash(_("Message sent."), "success")
    return redirect(target)
