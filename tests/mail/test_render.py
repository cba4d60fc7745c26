"""One template per kind, English msgids, Russian from the catalog part the lead merges."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir

from integrations.render import TEMPLATES, render_message

from .conftest import ru_catalog

LINK = "https://carepath.test/t/abc"
CONTEXTS = {
    "confirm_email": {"name": "Anna", "link": LINK, "expires_hours": 24},
    "activate_account": {"name": "Anna", "link": LINK, "expires_hours": 72, "created_by_role": "doctor"},
    "reset_password": {"name": "Anna", "link": LINK, "expires_hours": 1},
    "login_code": {"name": "Anna", "code": "482913", "expires_minutes": 10},
    "change_email": {"name": "Anna", "link": LINK, "expires_hours": 24},
    "rehab_registered": {"name": "Anna", "link": LINK},
}
SUBJECTS = {
    "en": {
        "confirm_email": "Confirm your email",
        "rehab_registered": "You are registered on the rehabilitation service",
    },
    "ru": {
        "confirm_email": "Подтвердите адрес электронной почты",
        "rehab_registered": "Вы зарегистрированы на сервисе реабилитации",
    },
}


@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_every_kind_renders_a_subject_a_text_and_an_html_body_in_english(kind):
    message = render_message(kind, "en", CONTEXTS[kind], to="anna@example.org")

    assert message.subject and "\n" not in message.subject
    assert message.to == "anna@example.org"
    assert message.text.startswith("Hello, Anna!")
    assert '<html lang="en">' in message.html and f"<title>{message.subject}</title>" in message.html
    if "link" in CONTEXTS[kind]:
        assert LINK in message.text
        assert f'<a href="{LINK}"' in message.html
    else:
        assert "482913" in message.text and "482913" in message.html


@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_every_kind_renders_in_russian_with_the_catalog(kind, ru_translations):
    english = render_message(kind, "en", CONTEXTS[kind])
    message = render_message(kind, "ru", CONTEXTS[kind], translations=ru_translations)

    assert message.text.startswith("Здравствуйте, Anna!")
    assert message.subject != english.subject
    assert '<html lang="ru">' in message.html
    assert "Здравствуйте" in message.html


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_subjects_read_as_the_service_states_them(locale, ru_translations):
    translations = ru_translations if locale == "ru" else None
    for kind, subject in SUBJECTS[locale].items():
        assert render_message(kind, locale, CONTEXTS[kind], translations=translations).subject == subject


@pytest.mark.parametrize(
    ("hours", "phrase"),
    [(1, "1 час."), (3, "3 часа."), (24, "24 часа."), (72, "72 часа."), (5, "5 часов."), (11, "11 часов.")],
)
def test_russian_hours_take_the_right_plural_form(hours, phrase, ru_translations):
    context = {**CONTEXTS["reset_password"], "expires_hours": hours}

    message = render_message("reset_password", "ru", context, translations=ru_translations)

    assert f"Ссылка действительна {phrase}" in message.text


def test_the_account_activation_names_who_created_the_account(ru_translations):
    by_instructor = {**CONTEXTS["activate_account"], "created_by_role": "instructor"}
    by_manager = {**CONTEXTS["activate_account"], "created_by_role": "manager"}

    assert "rehabilitation instructor" in render_message("activate_account", "en", by_instructor).text
    assert "Staff of your medical service" in render_message("activate_account", "en", by_manager).text
    assert (
        "Ваш врач создал"
        in render_message(
            "activate_account", "ru", CONTEXTS["activate_account"], translations=ru_translations
        ).text
    )


def test_context_values_are_escaped_in_html_but_not_in_text():
    context = {**CONTEXTS["confirm_email"], "name": "<b>Anna</b> & Co"}

    message = render_message("confirm_email", "en", context)

    assert "&lt;b&gt;Anna&lt;/b&gt; &amp; Co" in message.html
    assert "Hello, <b>Anna</b> & Co!" in message.text


def test_a_missing_context_key_is_an_error_not_a_blank():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError, match="link"):
        render_message("confirm_email", "en", {"name": "Anna", "expires_hours": 1})


def test_a_greeting_without_a_name_still_reads_well():
    message = render_message("confirm_email", "en", {**CONTEXTS["confirm_email"], "name": ""})

    assert message.text.startswith("Hello!\n")


def test_the_russian_sign_in_code_fits_one_sms(ru_translations):
    message = render_message(
        "login_code", "ru", CONTEXTS["login_code"], channel="sms", translations=ru_translations
    )

    assert message.text.strip() == "Код для входа в CarePath: 482913. Никому его не сообщайте."
    assert len(message.text.strip()) <= 70  # one UCS-2 part
    assert message.html == ""


def test_every_string_in_the_templates_has_a_russian_translation():
    catalog = ru_catalog()
    extracted = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(TEMPLATES), method_map=[("**.txt", "jinja2"), ("**.html", "jinja2")]
        )
    }

    missing = [msgid for msgid in sorted(extracted) if not (catalog.get(msgid) and catalog.get(msgid).string)]
    assert extracted and missing == []


ALERT = {"name": "Григорий", "patient": "Иванов Иван", "day": "2026-12-07", "reason": "A value beyond your thresholds",
         "link": "https://carepath.test/monitoring/patients/7",
         "values": [{"title": "Blood pressure", "value": "168/96 mmHg", "amount": "168/96", "unit": "mmHg"},
                    {"title": "Weight", "value": "71.6 kg", "amount": "71.6", "unit": "kg"}]}


DAY_RU = "7 декабря 2026\u202fг."  # CLDR's narrow no-break space before «г.»


def test_the_monitoring_alert_reads_right_in_russian(ru_translations):
    message = render_message("monitoring_alert", "ru", ALERT, translations=ru_translations)

    for body in (message.text, message.html):
        # The name stands in the nominative after "Пациент:", never inside a phrase that would decline it.
        assert "Пациент: Иванов Иван" in body and "пациента Иванов" not in body
        assert DAY_RU in body and "2026-12-07" not in body
        assert "168/96 мм рт. ст." in body and "71,6 кг" in body
        assert "mmHg" not in body and "71.6" not in body
    # A subject is folded to one line of plain spaces (render._block).
    assert message.subject == "Сигнал мониторинга: Иванов Иван, 7 декабря 2026 г."


def test_the_monitoring_alert_in_english_keeps_the_point_and_an_english_date():
    message = render_message("monitoring_alert", "en", ALERT)

    assert "Patient: Иванов Иван" in message.text and "December 7, 2026" in message.text
    assert "71.6 kg" in message.text and "168/96 mmHg" in message.text
