"""The payments pages through the Flask test client: access checks (a foreign payment is 'not found', a
patient is no desk), bad input gets a clear message and changes nothing, the webhook only where YooKassa
is configured, and a bad payment setting stops the start."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine.accounts.models import User
from engine.accounts.service import hash_password
from engine.config import ConfigError, load_settings
from engine.db import transaction
from engine.payments import contracts
from engine.payments.models import ContractSignature, Payment, ServicePrice
from tests.payments.conftest import last_code
from tests.payments.test_paid_route import book, sign_contract
from tests.webui.conftest import PASSWORD, app, client, login, settings  # noqa: F401
from webui import create_app

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def people(sessions, world):  # noqa: F811
    with transaction(sessions) as session:
        session.execute(update(User).values(password_hash=hash_password(PASSWORD)))
    return world


def test_a_foreign_payment_is_not_found_and_a_patient_is_no_desk(client, sessions, deployed, people, paid):  # noqa: F811
    sign_contract(sessions, people, paid)
    _, held = book(sessions, deployed, people)
    login(client, "other_patient@example.test")
    assert client.get(f"/payments/{held.id}").status_code == 404
    assert client.post(f"/payments/{held.id}/pay").status_code == 404
    assert client.post(f"/payments/{held.id}/paid-at-desk").status_code == 403
    client.post("/account/logout")
    login(client, "patient@example.test")
    page = client.get(f"/payments/{held.id}")
    assert page.status_code == 200 and "Pay at the clinic" in page.get_data(as_text=True)
    with sessions() as session:
        assert session.get(Payment, held.id).status == "awaiting"


def test_a_bad_price_is_refused_with_a_message_and_nothing_saved(client, sessions, people, paid):  # noqa: F811
    login(client, "manager@example.test")
    answer = client.post("/payments/prices", data={"institution_id": paid.institution_id,
                                                   "specialty_id": paid.specialty_id, "kind": "online",
                                                   "amount": "полторы тысячи", "active": "1"})
    assert answer.status_code == 400 and "Enter the price in roubles" in answer.get_data(as_text=True)
    with sessions() as session:
        assert str(session.get(ServicePrice, paid.price_id).amount) == "1500.00"
    ok = client.post("/payments/prices", data={"institution_id": paid.institution_id, "specialty_id": paid.specialty_id,
                                               "kind": "online", "amount": "2 000,50", "active": "1"},
                     follow_redirects=True)
    assert "The price is saved." in ok.get_data(as_text=True)
    with sessions() as session:
        assert str(session.get(ServicePrice, paid.price_id).amount) == "2000.50"


def test_the_contract_page_sends_a_code_and_a_wrong_one_signs_nothing(client, sessions, people, paid):  # noqa: F811
    login(client, "patient@example.test")
    page = client.get(f"/payments/contract/{paid.institution_id}")
    assert "Исполнитель оказывает услугу" in page.get_data(as_text=True)
    sent = client.post(f"/payments/contract/{paid.institution_id}", data={"action": "code", "channel": "email"})
    assert "The code has been sent to patient@example.test" in sent.get_data(as_text=True)
    code = last_code(sessions)
    wrong = client.post(f"/payments/contract/{paid.institution_id}",
                        data={"action": "sign", "version": "1", "code": "000000" if code != "000000" else "1"})
    assert "Wrong code" in wrong.get_data(as_text=True)
    with sessions() as session:
        assert session.scalar(select(ContractSignature.id)) is None
    signed = client.post(f"/payments/contract/{paid.institution_id}",
                         data={"action": "sign", "version": "1", "code": code}, follow_redirects=True)
    assert "The contract is signed" in signed.get_data(as_text=True)
    with sessions() as session:
        assert contracts.to_sign(session, people.patient, paid.institution_id) is None


def test_the_webhook_answers_only_where_yookassa_is_configured(client):  # noqa: F811
    assert client.post("/payments/webhook/yookassa", data=b"{}").status_code == 404


def test_a_bad_payment_setting_stops_the_start(tmp_path):
    bad = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path / "i"), "CAREPATH_PAYMENT_PROVIDER": "yookassa"})
    with pytest.raises(ConfigError, match="PAYMENT_SHOP_ID"):
        create_app(settings=bad)
