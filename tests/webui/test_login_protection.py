"""Wrong passwords are limited per account and per address, every refusal is journalled, the owner told.

The app takes the client's address from the connection (no proxy headers are trusted), so the
addresses are set on the WSGI environment here, as two machines would have them.
"""

from __future__ import annotations

from sqlalchemy import select

from engine import audit
from engine.accounts import throttle
from engine.outbox import OutboxMessage
from tests.webui.conftest import PASSWORD, make_user

OFFICE, HOME, ELSEWHERE = "10.0.0.7", "192.0.2.10", "198.51.100.3"


def attempt(client, email: str, address: str, password: str = "wrong password"):
    return client.post("/account/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})  # fmt: skip


def journal(app, *actions: str) -> list[audit.AuditEntry]:
    with app.extensions["carepath"].sessions() as session:
        query = select(audit.AuditEntry).where(audit.AuditEntry.action.in_(actions)).order_by(audit.AuditEntry.id)
        return list(session.scalars(query))


def mails(app, kind: str) -> list[OutboxMessage]:
    with app.extensions["carepath"].sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_fifteen_wrong_passwords_from_one_address_pause_the_account_but_not_the_office(app, client):
    owner = make_user(app, "owner@test.org", "patient")
    make_user(app, "colleague@test.org", "patient")

    codes = [attempt(client, "owner@test.org", OFFICE).status_code for _ in range(15)]

    assert codes == [200] * throttle.ACCOUNT_FAILURES + [429] * (15 - throttle.ACCOUNT_FAILURES)
    refused = attempt(client, "owner@test.org", OFFICE, PASSWORD)  # even the right password waits
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Too many wrong passwords for this account" in page and 'name="password"' in page
    assert len(journal(app, "login_failed")) == throttle.ACCOUNT_FAILURES
    refusals = journal(app, "login_refused_account")
    assert len(refusals) == 11 and {(e.subject_id, e.ip) for e in refusals} == {(owner.id, OFFICE)}
    [mail] = mails(app, "login_failures")
    assert mail.recipient == "owner@test.org" and mail.context["count"] == throttle.ACCOUNT_FAILURES
    # A colleague behind the same address logs in.
    colleague = attempt(client, "colleague@test.org", OFFICE, PASSWORD)
    assert colleague.status_code == 302 and colleague.headers["Location"].endswith("/cabinet/")


def test_a_guesser_with_two_addresses_is_paused_per_account(app, client):
    make_user(app, "owner@test.org", "patient")

    codes = [attempt(client, "owner@test.org", (HOME, ELSEWHERE)[i % 2]).status_code for i in range(15)]

    assert codes.count(200) == throttle.ACCOUNT_FAILURES and codes[throttle.ACCOUNT_FAILURES:] == [429] * 10
    assert {e.ip for e in journal(app, "login_refused_account")} == {HOME, ELSEWHERE}
    assert len(mails(app, "login_failures")) == 1


def test_one_address_spraying_many_accounts_is_paused_for_all_of_them(app, client):
    for n in range(throttle.ADDRESS_FAILURES):
        make_user(app, f"user{n}@test.org", "patient")
    for n in range(throttle.ADDRESS_FAILURES):
        assert attempt(client, f"user{n}@test.org", OFFICE).status_code == 200

    make_user(app, "fresh@test.org", "patient")
    from_office = attempt(client, "fresh@test.org", OFFICE, PASSWORD)
    from_home = attempt(client, "fresh@test.org", HOME, PASSWORD)

    assert from_office.status_code == 429
    assert "from your network address" in from_office.get_data(as_text=True)
    assert from_home.status_code == 302
    [refusal] = journal(app, "login_refused_address")
    assert refusal.ip == OFFICE
    assert mails(app, "login_failures") == []  # no account reached its own limit


def test_an_email_without_an_account_pauses_like_one_so_the_pause_tells_nothing(app, client):
    codes = [attempt(client, "nobody@test.org", (HOME, ELSEWHERE)[i % 2]).status_code for i in range(7)]

    assert codes == [200] * throttle.ACCOUNT_FAILURES + [429] * 2
    assert len(journal(app, "login_refused_account")) == 2
    assert mails(app, "login_failures") == []  # nobody to tell


def test_unknown_emails_count_towards_the_address(app, client):
    for n in range(throttle.ADDRESS_FAILURES):
        attempt(client, f"nobody{n}@test.org", OFFICE)

    refused = attempt(client, "nobody@test.org", OFFICE)

    assert refused.status_code == 429
    [refusal] = journal(app, "login_refused_address")
    assert refusal.details == {"email": "nobody@test.org"} and refusal.subject_id is None
