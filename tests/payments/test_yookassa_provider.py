"""The YooKassa provider against a local server speaking YooKassa's API v3 (yookassa_server.py)."""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal

import pytest

from engine.config import ConfigError
from integrations.payments import payment_settings, provider_for
from integrations.payments.base import ForgedNotice, PaymentError
from integrations.payments.clinic import ClinicDesk
from integrations.payments.yookassa import YooKassaProvider
from tests.payments.yookassa_server import FakeYooKassa

SECRET = "test_secret_abc"


@pytest.fixture
def fake():
    with FakeYooKassa(secret_key=SECRET) as server:
        yield server


def provider(fake: FakeYooKassa, **env: str) -> YooKassaProvider:
    settings = payment_settings(None, {"CAREPATH_PAYMENT_PROVIDER": "yookassa", "CAREPATH_PAYMENT_SHOP_ID": fake.shop_id,
                                       "CAREPATH_PAYMENT_SECRET_KEY": SECRET, "CAREPATH_PAYMENT_API_URL": fake.url,
                                       "CAREPATH_PAYMENT_WEBHOOK_NETWORKS": "127.0.0.1", **env})
    made = provider_for(settings)
    assert isinstance(made, YooKassaProvider)
    return made


def create(p: YooKassaProvider, key: str = "key-1"):
    return p.create(amount=Decimal("1500"), currency="RUB", description="Consultation", idempotence_key=key,
                    return_url="http://127.0.0.1:5000/payments/7", reference="payment:7")


def test_it_creates_a_payment_with_an_idempotence_key_and_a_redirect(fake):
    charge = create(provider(fake))
    assert charge.status == "pending" and not charge.paid
    assert charge.amount == Decimal("1500.00") and charge.reference == "payment:7"
    assert charge.confirmation_url.endswith(f"/checkout/{charge.provider_id}")
    sent = fake.requests[-1]
    assert sent["headers"]["idempotence-key"] == "key-1"
    assert sent["body"]["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert sent["body"]["confirmation"]["return_url"] == "http://127.0.0.1:5000/payments/7"


def test_the_same_key_gives_the_same_payment(fake):
    p = provider(fake)
    assert create(p).provider_id == create(p).provider_id
    assert len(fake.payments) == 1


def test_it_reads_succeeded_and_canceled_from_the_api(fake):
    p = provider(fake)
    first, second = create(p, "a"), create(p, "b")
    fake.settle(first.provider_id, "succeeded")
    fake.settle(second.provider_id, "canceled")
    assert p.fetch(first.provider_id).status == "succeeded" and p.fetch(first.provider_id).paid
    assert p.fetch(second.provider_id).status == "canceled"


def test_it_captures_a_payment_waiting_for_capture(fake):
    p = provider(fake)
    fake.next_status = "waiting_for_capture"
    charge = create(p)
    captured = p.capture(p.fetch(charge.provider_id), "capture-1")
    assert captured.status == "succeeded"
    assert fake.requests[-1]["path"].endswith(f"/payments/{charge.provider_id}/capture")


def test_it_refunds_with_its_own_key(fake):
    p = provider(fake)
    charge = create(p)
    fake.settle(charge.provider_id, "succeeded")
    refund = p.refund(charge.provider_id, Decimal("1500"), "RUB", "refund-1")
    assert refund.status == "succeeded"
    assert fake.requests[-1]["headers"]["idempotence-key"] == "refund-1"


def test_a_refused_refund_is_a_permanent_error(fake):
    p = provider(fake)
    charge = create(p)
    with pytest.raises(PaymentError) as error:
        p.refund(charge.provider_id, Decimal("1500"), "RUB", "refund-1")
    assert error.value.permanent


def test_a_slow_api_is_a_timeout_not_a_hang(fake):
    p = provider(fake)
    p.settings = replace(p.settings, timeout=0.3)
    fake.delay = 1.0
    with pytest.raises(PaymentError, match="in time") as error:
        create(p)
    assert not error.value.permanent


def test_wrong_credentials_are_refused_and_the_secret_stays_out_of_errors_and_logs(fake, caplog):
    caplog.set_level(logging.DEBUG)
    p = provider(fake, CAREPATH_PAYMENT_SECRET_KEY="wrong_secret_xyz")
    with pytest.raises(PaymentError) as error:
        create(p)
    assert error.value.permanent and "401" in error.value.message
    assert "wrong_secret_xyz" not in caplog.text and "wrong_secret_xyz" not in str(error.value)
    assert "wrong_secret_xyz" not in repr(p) and "wrong_secret_xyz" not in repr(p.settings)


def test_a_notice_is_taken_only_from_allowed_networks(fake):
    p = provider(fake, CAREPATH_PAYMENT_WEBHOOK_NETWORKS="")
    charge = create(p)
    body = fake.notification(charge.provider_id)
    with pytest.raises(ForgedNotice):
        p.notice(body, "127.0.0.1")
    # YooKassa's own documented network (185.71.76.0/27).
    assert p.notice(body, "185.71.76.5").provider_id == charge.provider_id
    with pytest.raises(ForgedNotice):
        p.notice(b'{"type": "notification", "event": "payment.succeeded"}', "185.71.76.5")
    with pytest.raises(ForgedNotice):
        p.notice(b"not json", "185.71.76.5")


def test_the_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from_file_secret\n")
    settings = payment_settings(None, {"CAREPATH_PAYMENT_PROVIDER": "yookassa", "CAREPATH_PAYMENT_SHOP_ID": "1",
                                       "CAREPATH_PAYMENT_SECRET_KEY_FILE": str(secret)})
    assert settings.secret_key == "from_file_secret"


def test_bad_settings_stop_the_start():
    with pytest.raises(ConfigError, match="PAYMENT_PROVIDER"):
        payment_settings(None, {"CAREPATH_PAYMENT_PROVIDER": "paypal"})
    with pytest.raises(ConfigError, match="SHOP_ID"):
        payment_settings(None, {"CAREPATH_PAYMENT_PROVIDER": "yookassa"})
    with pytest.raises(ConfigError, match="WEBHOOK_NETWORKS"):
        payment_settings(None, {"CAREPATH_PAYMENT_WEBHOOK_NETWORKS": "not-an-address"})


def test_the_clinic_desk_is_the_default_and_takes_no_notices():
    p = provider_for(payment_settings(None, {}))
    assert isinstance(p, ClinicDesk) and not p.online
    with pytest.raises(ForgedNotice):
        p.notice(b"{}", "185.71.76.5")
