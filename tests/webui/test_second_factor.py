"""The second factor goes by SMS to a confirmed phone when a gateway is configured, else by email; the
code page says where it went; the profile confirms the phone with an SMS code."""

from __future__ import annotations

import dataclasses

import pytest

from engine.accounts.models import User
from engine.accounts.second_factor import mask_email, mask_phone
from engine.clock import now
from engine.db import transaction
from tests.webui.conftest import login, outbox

PHONE = "+79123456767"


@pytest.fixture
def with_gateway(app):
    runtime = app.extensions["carepath"]
    runtime.settings = dataclasses.replace(runtime.settings, sms_gateway_url="http://127.0.0.1:9/sms")
    return app


def set_fields(app, user_id: int, **fields) -> None:
    with transaction(app.extensions["carepath"].sessions) as session:
        user = session.get(User, user_id)
        for name, value in fields.items():
            setattr(user, name, value)


def test_masks_keep_the_country_and_last_digits_or_the_first_letter_and_domain():
    assert mask_phone("+79123456767") == "+7 *** ***-**-67"
    assert mask_phone("89123456767") == "+8 *** ***-**-67"
    assert mask_email("maria.ivanova@example.org") == "m***@example.org"


def test_with_a_gateway_the_code_goes_by_sms_to_a_confirmed_phone(with_gateway, client, cast):
    set_fields(with_gateway, cast.patient.id, two_factor=True, phone=PHONE, phone_confirmed_at=now())

    page = login(client, "patient@test.org").get_data(as_text=True)

    assert "We have sent a 6-digit code to +7 *** ***-**-67." in page
    [code] = outbox(with_gateway, "login_code")
    assert code.channel == "sms" and code.recipient == PHONE


def test_an_unconfirmed_phone_gets_no_code_the_email_does(with_gateway, client, cast):
    set_fields(with_gateway, cast.patient.id, two_factor=True, phone=PHONE, notify_sms=True)

    page = login(client, "patient@test.org").get_data(as_text=True)

    assert "We have sent a 6-digit code to p***@test.org." in page
    [code] = outbox(with_gateway, "login_code")
    assert code.channel == "email" and code.recipient == "patient@test.org"


def test_without_a_gateway_even_a_confirmed_phone_gets_the_code_by_email(app, client, cast):
    set_fields(app, cast.patient.id, two_factor=True, phone=PHONE, phone_confirmed_at=now())

    login(client, "patient@test.org")

    [code] = outbox(app, "login_code")
    assert code.channel == "email"


def test_the_profile_confirms_the_phone_by_an_sms_code_and_a_new_number_needs_it_again(with_gateway, client, cast):
    set_fields(with_gateway, cast.patient.id, phone=PHONE)
    login(client, "patient@test.org")
    assert "Confirm the phone by SMS" in client.get("/cabinet/profile").get_data(as_text=True)

    sent = client.post("/cabinet/phone", follow_redirects=True).get_data(as_text=True)
    assert "We have sent a 6-digit code to +7 *** ***-**-67." in sent
    [sms] = outbox(with_gateway, "phone_code")
    assert sms.channel == "sms" and sms.recipient == PHONE
    wrong = "000000" if sms.context["code"] != "000000" else "111111"
    assert "Wrong code" in client.post("/cabinet/phone/code", data={"code": wrong}).get_data(as_text=True)
    done = client.post("/cabinet/phone/code", data={"code": sms.context["code"]}, follow_redirects=True)
    assert "Your mobile phone is confirmed." in done.get_data(as_text=True)
    with transaction(with_gateway.extensions["carepath"].sessions) as session:
        assert session.get(User, cast.patient.id).phone_confirmed_at is not None

    client.post("/cabinet/profile", data={
        "profile-last_name": "Test", "profile-first_name": "Tess", "profile-email": "patient@test.org",
        "profile-phone": "+79120000011", "profile-locale": "en", "profile-timezone": "Europe/Moscow",
        "profile-submit": "1"})  # fmt: skip
    with transaction(with_gateway.extensions["carepath"].sessions) as session:
        user = session.get(User, cast.patient.id)
        assert user.phone == "+79120000011" and user.phone_confirmed_at is None


def test_without_a_gateway_there_is_no_phone_confirmation(app, client, cast):
    set_fields(app, cast.patient.id, phone=PHONE)
    login(client, "patient@test.org")

    assert "Confirm the phone by SMS" not in client.get("/cabinet/profile").get_data(as_text=True)
    assert client.post("/cabinet/phone").status_code == 404
