"""The local mailbox an admin reads when no SMTP server is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import outbox
from engine.config import load_settings
from engine.db import transaction
from integrations.base import RenderedMessage
from integrations.courier import courier_for
from integrations.mail import SmtpTransport
from integrations.mailbox import Mailbox, MailboxTransport
from integrations.sms import SmsMailboxTransport

MAIL_FROM = "CarePath <noreply@carepath.test>"


def message(subject: str, to: str = "anna@example.org") -> RenderedMessage:
    return RenderedMessage(
        subject=subject, text=f"{subject} text\nhttps://carepath.test/x", html=f"<p>{subject} html</p>", to=to
    )


def test_each_message_is_an_eml_file_listed_newest_first(tmp_path):
    transport = MailboxTransport(tmp_path, MAIL_FROM)
    for subject in ("first", "second", "third"):
        transport.send(message(subject))

    entries = Mailbox(tmp_path).list_messages()

    assert [e.subject for e in entries] == ["third", "second", "first"]
    assert {p.suffix for p in tmp_path.iterdir()} == {".eml"}
    assert entries[0].to == "anna@example.org" and entries[0].date is not None
    assert [e.subject for e in Mailbox(tmp_path).list_messages(limit=1, offset=1)] == ["second"]


def test_a_stored_message_gives_back_its_text_and_html(tmp_path):
    MailboxTransport(tmp_path, MAIL_FROM).send(message("Вы зарегистрированы", to="b@example.org"))
    [entry] = Mailbox(tmp_path).list_messages()

    stored = Mailbox(tmp_path).get_message(entry.id)

    assert stored is not None
    assert stored.subject == "Вы зарегистрированы"
    assert stored.to == "b@example.org" and "noreply@carepath.test" in stored.sender
    assert "https://carepath.test/x" in stored.text
    assert stored.html.strip() == "<p>Вы зарегистрированы html</p>"


@pytest.mark.parametrize(
    "bad_id",
    ["../secret", "..%2Fsecret", "/etc/passwd", "00000000000000000001-abcdef01/../../secret", "", "x" * 300],
)
def test_an_id_that_is_not_a_mailbox_name_finds_nothing(tmp_path, bad_id):
    inbox = tmp_path / "mailbox"
    MailboxTransport(inbox, MAIL_FROM).send(message("hello"))
    (tmp_path / "secret.eml").write_text("Subject: secret\n\nnot for the web\n")

    assert Mailbox(inbox).get_message(bad_id) is None


def test_an_unknown_id_finds_nothing_and_an_empty_mailbox_lists_nothing(tmp_path):
    assert Mailbox(tmp_path / "none").list_messages() == []
    assert Mailbox(tmp_path).get_message("00000000000000000001-abcdef01") is None


def test_an_sms_lands_in_the_mailbox_marked_as_an_sms(tmp_path):
    SmsMailboxTransport(tmp_path, MAIL_FROM).send(RenderedMessage("", "Код: 1234", "", "+79001234567"))

    [entry] = Mailbox(tmp_path).list_messages()
    stored = Mailbox(tmp_path).get_message(entry.id)

    assert entry.subject == "SMS to +79001234567"
    assert stored is not None and stored.text.strip() == "Код: 1234"


def test_without_smtp_settings_mail_and_sms_go_to_the_instance_mailbox(sqlite_engine, clock, tmp_path):
    from engine.db import make_session_factory

    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)})
    sessions = make_session_factory(sqlite_engine)
    with transaction(sessions) as session:
        outbox.enqueue(
            session,
            kind="rehab_registered",
            to="anna@example.org",
            locale="en",
            context={"name": "Anna", "link": "https://carepath.test/rehab"},
        )
        outbox.enqueue(
            session,
            kind="login_code",
            to="+79001234567",
            locale="en",
            channel="sms",
            context={"name": "Anna", "code": "4321", "expires_minutes": 10},
        )

    report = outbox.deliver_due(sessions, lambda: courier_for(settings))

    assert report.sent == 2
    subjects = {e.subject for e in Mailbox(settings.mailbox_path).list_messages()}
    assert subjects == {"You are registered on the rehabilitation service", "SMS to +79001234567"}


def test_with_an_smtp_url_mail_goes_to_smtp(tmp_path):
    settings = load_settings(
        {"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_SMTP_URL": "smtp://127.0.0.1:2525"}
    )

    courier = courier_for(settings)

    assert isinstance(courier.transports[outbox.EMAIL], SmtpTransport)
    assert courier.domain == "carepath.local"
    assert Path(settings.mailbox_path).is_dir()
