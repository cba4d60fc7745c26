"""The masked relay over real SMTP: smtplib writes to the running relay, a collector stands for the
people's own mail servers. Neither side may ever see the other's address."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from engine.audit import AuditEntry
from engine.db import transaction
from engine.documents.models import Document
from engine.messaging import service
from engine.messaging.models import ConversationMessage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _first_message_from_the_patient(world) -> None:
    with transaction(world.sessions) as session:
        conversation = service.get(session, world.user(session, world.patient), world.conversation)
        service.post(session, conversation, world.user(session, world.patient), "Doctor, my knee hurts after the walk.",
                     relay=world.relay, store=world.store, attachments=[service.Upload("lab.pdf", PDF)])
    world.deliver()


def _send(world, *, mail_from: str, to: str, body: str, headers: dict[str, str] | None = None,
          attachment: tuple[str, bytes] | None = None) -> dict:
    message = EmailMessage()
    message["From"] = f"Someone <{mail_from}>"
    message["To"] = to
    message["Subject"] = "Re: Message from Petrov Pavel"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if attachment:
        message.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    with smtplib.SMTP("127.0.0.1", world.relay_port, timeout=10) as client:
        return client.send_message(message, from_addr=mail_from, to_addrs=[to])


def _stored(world) -> list[ConversationMessage]:
    with transaction(world.sessions) as session:
        return list(session.scalars(select(ConversationMessage).order_by(ConversationMessage.id)))


def test_the_first_message_reaches_the_doctor_from_the_relay_address_only(world):
    _first_message_from_the_patient(world)
    [mail] = world.collector.to("dr.house@private.test")
    assert b"pavel.home@mail.test" not in mail.raw
    assert mail.sender == world.relay_address, "the envelope sender (Return-Path) is the relay too"
    assert world.relay_address in mail.message["From"] and mail.message["Reply-To"] == world.relay_address
    assert "my knee hurts" in mail.text
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "lab.pdf" and attachment.get_content() == PDF


def test_a_reply_by_email_reaches_the_patient_without_the_doctors_address(world):
    _first_message_from_the_patient(world)
    reply = (
        "Take the pills twice a day and rest the knee.\n"
        "Write to me at dr.house@private.test if it gets worse.\n\n"
        "On Mon, 2 Mar 2026 at 09:00, House Gregory (CarePath)\n"
        f"<{world.relay_address}> wrote:\n"
        "> Doctor, my knee hurts after the walk.\n"
        "> --\n> pavel.home@mail.test\n"
    )
    refused = _send(world, mail_from="dr.house@private.test", to=world.relay_address.upper(), body=reply, headers={
        "Reply-To": "dr.house+private@private.test", "Sender": "dr.house@private.test",
        "Received": "from laptop.private.test by mx.private.test", "DKIM-Signature": "v=1; d=private.test; b=abc",
        "Return-Path": "<dr.house@private.test>",
    })
    assert refused == {}
    world.deliver()
    [mail] = world.collector.to("pavel.home@mail.test")
    assert b"private.test" not in mail.raw, "no trace of the doctor's mail domain in any header or the body"
    assert mail.sender == world.relay_address
    assert mail.message["Reply-To"] == world.relay_address
    assert "Take the pills twice a day" in mail.text
    assert "[address hidden]" in mail.text
    assert "wrote:" not in mail.text and "knee hurts" not in mail.text, "the quoted history is cut off"
    stored = _stored(world)[-1]
    assert stored.via == "email" and stored.sender_id == world.doctor
    assert "private.test" not in stored.body and "> " not in stored.body
    # The patient answers the relayed mail with "Reply": back to the doctor, still masked.
    assert _send(world, mail_from="pavel.home@mail.test", to=mail.message["Reply-To"],
                 body="Thank you, doctor!\n\nПн, 2 мар. 2026 г. в 10:00, House <x@y.z> пишет:\n> Take the pills") == {}
    world.deliver()
    answer = world.collector.to("dr.house@private.test")[-1]
    assert "Thank you, doctor!" in answer.text and "пишет" not in answer.text
    assert b"mail.test" not in answer.raw


def test_mail_to_an_unknown_relay_address_is_refused_with_550(world, caplog):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(world, mail_from="dr.house@private.test", to=f"cdeadbeef@{world.relay.domain}", body="hello")
    [(code, reply)] = refused.value.recipients.values()
    assert code == 550 and b"No such conversation" in reply
    assert "unknown or closed address" in caplog.text
    assert _stored(world) == []


def test_mail_to_a_closed_conversation_is_refused_with_550(world):
    with transaction(world.sessions) as session:
        service.close(session, world.user(session, world.doctor), world.conversation)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(world, mail_from="pavel.home@mail.test", to=world.relay_address, body="hello")
    assert [code for code, _ in refused.value.recipients.values()] == [550]


def test_mail_from_someone_who_is_not_in_the_conversation_is_refused_and_journalled(world):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(world, mail_from="someone@else.test", to=world.relay_address, body="let me in")
    assert [code for code, _ in refused.value.recipients.values()] == [550]
    assert _stored(world) == []
    with transaction(world.sessions) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "relay_refused")).one()
        assert entry.details["sender"] == "someone@else.test" and entry.subject_id == world.patient


def test_a_participants_envelope_with_a_strangers_from_header_is_refused(world):
    message = EmailMessage()
    message["From"] = "someone@else.test"
    message["To"] = world.relay_address
    message.set_content("spoofed")
    with smtplib.SMTP("127.0.0.1", world.relay_port, timeout=10) as client, \
            pytest.raises(smtplib.SMTPDataError) as refused:
        client.send_message(message, from_addr="pavel.home@mail.test", to_addrs=[world.relay_address])
    assert refused.value.smtp_code == 550
    assert _stored(world) == []


def test_an_attachment_that_is_not_what_it_claims_is_bounced_and_nothing_is_stored(world):
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(world, mail_from="pavel.home@mail.test", to=world.relay_address, body="my results",
              attachment=("results.pdf", b"MZ\x90\x00 this is a program, not a PDF" * 10))
    assert refused.value.smtp_code == 554 and b"not an accepted file type" in refused.value.smtp_error
    assert _stored(world) == []
    with transaction(world.sessions) as session:
        assert session.scalars(select(Document)).all() == []


def test_an_oversized_message_is_refused_at_smtp_time(world):
    with pytest.raises(smtplib.SMTPException) as refused:
        _send(world, mail_from="pavel.home@mail.test", to=world.relay_address, body="x" * (3 * 1024 * 1024))
    assert "552" in str(refused.value) or getattr(refused.value, "smtp_code", None) == 552
    assert _stored(world) == []


def test_an_emailed_attachment_is_stored_and_readable_by_both_sides(world):
    assert _send(world, mail_from="pavel.home@mail.test", to=world.relay_address, body="results attached",
                 attachment=("blood.pdf", PDF)) == {}
    [stored] = _stored(world)
    [attachment] = stored.attachments
    with transaction(world.sessions) as session:
        doctor = world.user(session, world.doctor)
        document_id = service.attachment_document(session, doctor, attachment.id)
        from engine.documents import service as documents

        document, data = documents.read(session, world.store, document_id, user_id=world.doctor)
        assert data == PDF and document.patient_id == world.patient
        with pytest.raises(Exception, match="no such"):
            service.attachment_document(session, world.user(session, world.stranger), attachment.id)
