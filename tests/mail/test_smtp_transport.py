"""The SMTP transport on its own: URL forms, errors, connection reuse."""

from __future__ import annotations

import pytest

from integrations.base import RenderedMessage, TransportError
from integrations.mail import SmtpOptions, SmtpTransport

MAIL_FROM = "CarePath <noreply@carepath.test>"


def message(to: str = "anna@example.org") -> RenderedMessage:
    return RenderedMessage(
        subject="Проверка", text="текст", html="<p>текст</p>", to=to, message_id="<m.1@carepath.test>"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpOptions("127.0.0.1", 2525, None, None, ssl=False, starttls=False)),
        (
            "smtps://user%40mail.ru:p%3Ass@smtp.mail.ru",
            SmtpOptions("smtp.mail.ru", 465, "user@mail.ru", "p:ss", ssl=True, starttls=False),
        ),
        (
            "smtp+starttls://u:p@mx.example.org",
            SmtpOptions("mx.example.org", 587, "u", "p", ssl=False, starttls=True),
        ),
    ],
)
def test_the_smtp_url_chooses_tls_login_and_port(url, expected):
    assert SmtpOptions.from_url(url) == expected


def test_a_url_that_is_not_smtp_is_refused():
    with pytest.raises(ValueError, match="smtp://"):
        SmtpOptions.from_url("http://example.org")


def test_a_message_keeps_its_utf8_subject_and_message_id(smtp_server):
    with SmtpTransport(smtp_server.url, MAIL_FROM) as transport:
        transport.send(message())

    [received] = smtp_server.received
    assert received.message["Subject"] == "Проверка"
    assert received.message["Message-ID"] == "<m.1@carepath.test>"
    assert received.part("plain").strip() == "текст"


def test_a_long_russian_subject_keeps_the_spaces_between_its_words(smtp_server):
    subject = "Вы зарегистрированы на сервисе реабилитации"
    long_link = "https://carepath.test/" + "x" * 1500
    with SmtpTransport(smtp_server.url, MAIL_FROM) as transport:
        transport.send(
            RenderedMessage(
                subject=subject, text=long_link, html=f'<a href="{long_link}">x</a>', to="a@example.org"
            )
        )

    [received] = smtp_server.received
    assert received.message["Subject"] == subject
    assert received.part("plain").strip() == long_link


def test_sending_without_a_batch_opens_and_closes_its_own_connection(smtp_server):
    transport = SmtpTransport(smtp_server.url, MAIL_FROM)
    transport.send(message())
    transport.close()
    transport.send(message("b@example.org"))
    transport.close()

    assert len({r.peer for r in smtp_server.received}) == 2


def test_a_refused_connection_is_a_temporary_error_and_the_rest_of_the_batch_fails_fast(closed_smtp_url):
    with SmtpTransport(closed_smtp_url, MAIL_FROM) as transport:
        with pytest.raises(TransportError) as first:
            transport.send(message())
        with pytest.raises(TransportError) as second:
            transport.send(message("b@example.org"))

    assert not first.value.permanent
    assert second.value is first.value


def test_a_refused_recipient_is_a_permanent_error(smtp_server):
    with SmtpTransport(smtp_server.url, MAIL_FROM) as transport, pytest.raises(TransportError) as error:
        transport.send(message("refused@example.org"))

    assert error.value.permanent
    assert "550" in str(error.value)
