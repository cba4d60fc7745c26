"""Registration, confirmation, login, second factor, profile, password reset and the journal."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.accounts.models import ConsentRecord, User
from engine.audit import AuditEntry
from engine.db import transaction
from tests.webui.conftest import PASSWORD, link_path, login, outbox

REGISTRATION = {
    "last_name": "Петрова", "first_name": "Анна", "patronymic": "Ивановна", "birth_date": "1980-05-17",
    "email": "Anna@Example.org", "phone": "8 (912) 345-67-89", "password": "a fine long secret",
    "password_again": "a fine long secret", "consent": "y",
}


def count(app, model) -> int:
    with transaction(app.extensions["carepath"].sessions) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_patient_registers_confirms_by_the_emailed_link_and_logs_in(app, client):
    response = client.post("/account/register", data=REGISTRATION, follow_redirects=True)
    assert "we have sent you an email" in response.get_data(as_text=True)
    with transaction(app.extensions["carepath"].sessions) as session:
        user = session.scalar(select(User).where(User.email == "anna@example.org"))
        assert user.status == "unconfirmed" and user.phone == "+79123456789"
        consent = session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == user.id))
        assert consent.version and len(consent.text_sha256) == 64
    [mail] = outbox(app, "confirm_email")
    assert mail.recipient == "anna@example.org"
    login(client, "anna@example.org", "a fine long secret")
    assert "not confirmed yet" in client.get("/cabinet/").get_data(as_text=True)
    confirmed = client.get(link_path(mail), follow_redirects=True)
    assert "Your email is confirmed" in confirmed.get_data(as_text=True)
    with transaction(app.extensions["carepath"].sessions) as session:
        assert session.scalar(select(User.status).where(User.email == "anna@example.org")) == "active"
    # The same link a second time does nothing and says why.
    again = client.get(link_path(mail))
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)


def test_registration_without_consent_creates_nothing(app, client):
    response = client.post("/account/register", data={**REGISTRATION, "consent": ""})
    assert response.status_code == 400
    assert "consent to the processing of personal data" in response.get_data(as_text=True)
    assert count(app, User) == 0 and outbox(app) == []


def test_registration_refuses_a_taken_email_a_weak_password_and_a_bad_phone(app, client, cast):
    taken = client.post("/account/register", data={**REGISTRATION, "email": "patient@test.org"})
    assert taken.status_code == 400 and "already exists" in taken.get_data(as_text=True)
    weak = client.post("/account/register", data={**REGISTRATION, "password": "qwerty1234",
                                                   "password_again": "qwerty1234"})
    assert "too easy to guess" in weak.get_data(as_text=True)
    phone = client.post("/account/register", data={**REGISTRATION, "phone": "call me maybe"})
    assert "only digits" in phone.get_data(as_text=True)
    assert count(app, User) == 5 and outbox(app) == []


def test_registration_shows_every_problem_at_once_next_to_its_field(app, client):
    response = client.post("/account/register", data={
        **REGISTRATION, "password": "12345", "password_again": "12345", "birth_date": "1850-01-01",
        "phone": "call me maybe", "last_name": "R2D2", "consent": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    errors = dict(re.findall(r'<p id="([a-z_]+)-error" class="error">([^<]*)</p>', html))
    assert "at least 10 characters" in errors["password"]
    assert errors["birth_date"] == "Enter a real date of birth."
    assert "only digits" in errors["phone"]
    assert "only letters" in errors["last_name"]
    assert "consent to the processing of personal data" in html
    assert count(app, User) == 0 and outbox(app) == []


def test_registration_page_speaks_russian_to_a_russian_browser(client):
    page = client.get("/account/register", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert "Регистрация" in page and "Согласие на обработку персональных данных" in page


def test_an_expired_confirmation_link_is_refused(app, client, clock):
    client.post("/account/register", data=REGISTRATION)
    [mail] = outbox(app, "confirm_email")
    clock.advance(hours=49)
    response = client.get(link_path(mail))
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_wrong_password_is_journalled_with_the_ip(app, client, cast):
    response = login(client, "patient@test.org", "not the password")
    assert "Wrong email or password" in response.get_data(as_text=True)
    with transaction(app.extensions["carepath"].sessions) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "login_failed"))
        assert entry.subject_id == cast.patient.id and entry.ip == "127.0.0.1"


def test_the_journal_shows_own_logins_and_profile_changes_newest_first(app, client, cast):
    login(client, "patient@test.org")
    client.post("/cabinet/profile", data={
        "profile-last_name": "Test", "profile-first_name": "Tessa", "profile-email": "patient@test.org",
        "profile-snils": "112-233-445 95", "profile-locale": "en", "profile-timezone": "Europe/Moscow", "profile-submit": "1",
    })
    page = client.get("/cabinet/journal").get_data(as_text=True)
    assert page.index("Profile changed") < page.index("Logged in")
    assert "127.0.0.1" in page
    client.post("/account/logout")
    login(client, "other@test.org")  # a second person's journal shows none of the first's entries
    assert "Profile changed" not in client.get("/cabinet/journal").get_data(as_text=True)


def test_profile_refuses_a_malformed_snils_and_changes_nothing(app, client, cast):
    login(client, "patient@test.org")
    response = client.post("/cabinet/profile", data={
        "profile-last_name": "Changed", "profile-first_name": "Tess", "profile-email": "patient@test.org",
        "profile-snils": "112-233-445 96", "profile-locale": "en", "profile-timezone": "Europe/Moscow", "profile-submit": "1",
    })
    assert response.status_code == 400 and "check digits do not match" in response.get_data(as_text=True)
    with transaction(app.extensions["carepath"].sessions) as session:
        assert session.get(User, cast.patient.id).last_name == "Test"


def test_a_new_email_takes_effect_only_after_its_link_is_opened(app, client, cast):
    login(client, "patient@test.org")
    client.post("/cabinet/profile", data={
        "profile-last_name": "Test", "profile-first_name": "Tess", "profile-email": "new@test.org",
        "profile-locale": "en", "profile-timezone": "Europe/Moscow", "profile-submit": "1",
    })
    [mail] = outbox(app, "change_email")
    assert mail.recipient == "new@test.org"
    with transaction(app.extensions["carepath"].sessions) as session:
        assert session.get(User, cast.patient.id).email == "patient@test.org"
    client.get(link_path(mail))
    with transaction(app.extensions["carepath"].sessions) as session:
        assert session.get(User, cast.patient.id).email == "new@test.org"


def test_password_change_needs_the_current_password(app, client, cast):
    login(client, "patient@test.org")
    wrong = client.post("/cabinet/profile", data={
        "password-current": "nope", "password-password": "another long secret",
        "password-password_again": "another long secret", "password-submit": "1"})
    assert "current password is wrong" in wrong.get_data(as_text=True)
    client.post("/cabinet/profile", data={
        "password-current": PASSWORD, "password-password": "another long secret",
        "password-password_again": "another long secret", "password-submit": "1"})
    client.post("/account/logout")
    assert "Hello" in login(client, "patient@test.org", "another long secret").get_data(as_text=True)


def test_second_factor_asks_for_the_emailed_code_and_locks_after_five_wrong_ones(app, client, cast):
    with transaction(app.extensions["carepath"].sessions) as session:
        session.get(User, cast.patient.id).two_factor = True
    response = login(client, "patient@test.org")
    assert "Enter the one-time code" in response.get_data(as_text=True)
    assert client.get("/cabinet/").status_code == 302  # not logged in yet
    for attempt in range(4):
        page = client.post("/account/login/code", data={"code": "000000"}).get_data(as_text=True)
        assert "Wrong code" in page or attempt  # the real code could be 000000 once in a million
    [mail] = outbox(app, "login_code")
    page = client.post("/account/login/code", data={"code": "000000" if mail.context["code"] != "000000" else "111111"})
    assert "Too many wrong codes" in page.get_data(as_text=True)
    late = client.post("/account/login/code", data={"code": mail.context["code"]}, follow_redirects=True)
    assert "Hello" not in late.get_data(as_text=True)


def test_second_factor_lets_the_right_code_in(app, client, cast):
    with transaction(app.extensions["carepath"].sessions) as session:
        session.get(User, cast.patient.id).two_factor = True
    login(client, "patient@test.org")
    [mail] = outbox(app, "login_code")
    page = client.post("/account/login/code", data={"code": mail.context["code"]}, follow_redirects=True)
    assert "Hello, Tess" in page.get_data(as_text=True)


def test_password_reset_by_emailed_link_reveals_nothing_about_unknown_emails(app, client, cast):
    unknown = client.post("/account/reset", data={"email": "nobody@test.org"}, follow_redirects=True)
    known = client.post("/account/reset", data={"email": "patient@test.org"}, follow_redirects=True)
    assert "If an account with this email exists" in unknown.get_data(as_text=True)
    assert "If an account with this email exists" in known.get_data(as_text=True)
    [mail] = outbox(app, "reset_password")
    client.post(link_path(mail), data={"password": "brand new secret", "password_again": "brand new secret"})
    assert "Hello" in login(client, "patient@test.org", "brand new secret").get_data(as_text=True)


def test_staff_create_a_patient_who_activates_by_the_emailed_link(app, client, cast):
    login(client, "doctor@test.org")
    response = client.post("/admin/accounts/new", data={
        "last_name": "Сидоров", "first_name": "Пётр", "email": "petr@test.org", "role": "patient"},
        follow_redirects=True)
    assert "activation link has been sent" in response.get_data(as_text=True)
    staff = client.post("/admin/accounts/new", data={
        "last_name": "X", "first_name": "Y", "email": "x@test.org", "role": "admin"})
    assert staff.status_code == 400  # a doctor cannot pick a staff role
    client.post("/account/logout")
    [mail] = outbox(app, "activate_account")
    assert login(client, "petr@test.org", "").status_code == 200  # no password yet: cannot log in
    client.post(link_path(mail), data={"password": "petr's own secret", "password_again": "petr's own secret"})
    assert "Hello, Пётр" in login(client, "petr@test.org", "petr's own secret").get_data(as_text=True)


def test_a_patient_gets_403_on_staff_pages(client, cast):
    login(client, "patient@test.org")
    for path in ("/admin/accounts", "/admin/accounts/new", "/admin/journal", "/admin/mailbox"):
        assert client.get(path).status_code == 403, path


def test_pages_carry_security_headers(client):
    response = client.get("/account/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_language_switcher_changes_the_page_language(client):
    client.post("/lang/ru", data={"next": "/account/login"})
    assert "Войти" in client.get("/account/login").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/account/login"})
    assert "Log in to your cabinet" in client.get("/account/login").get_data(as_text=True)


def test_the_header_switch_keeps_the_profile_language_in_step(app, client, cast):
    login(client, "patient@test.org")
    for code in ("en", "ru", "en"):
        client.post(f"/lang/{code}", data={"next": "/cabinet/profile"})
        page = client.get("/cabinet/profile").get_data(as_text=True)
        assert re.search(rf'<option selected value="{code}">', page), code
        with transaction(app.extensions["carepath"].sessions) as session:
            assert session.get(User, cast.patient.id).locale == code


def test_an_unknown_email_login_is_journalled_without_an_account(app, client):
    login(client, "ghost@test.org", "whatever")
    with transaction(app.extensions["carepath"].sessions) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "login_failed"))
        assert entry.subject_id is None and entry.details["email"] == "ghost@test.org"




def test_an_account_made_without_an_email_is_activated_with_one_that_becomes_the_login(app, client, cast):
    from engine.accounts import tokens
    from engine.accounts.models import PENDING_ACTIVATION, UserRole

    with transaction(app.extensions["carepath"].sessions) as session:
        user = User(email=None, last_name="Орлова", first_name="Нина", phone="+79127001122", locale="en",
                    status=PENDING_ACTIVATION, notify_sms=True)  # fmt: skip
        user.roles = [UserRole(role="patient")]
        session.add(user)
        session.flush()
        path = tokens.LINK_PATHS[tokens.ACTIVATE] + tokens.issue(session, user, tokens.ACTIVATE)
    secret = {"password": "nina's own secret", "password_again": "nina's own secret"}

    page = client.get(path).get_data(as_text=True)
    assert 'id="email"' in page and "it will be your login" in page
    assert "This field is required" in client.post(path, data=secret).get_data(as_text=True)  # the email is
    taken = client.post(path, data={**secret, "email": "patient@test.org"})
    assert taken.status_code == 400 and "already exists" in taken.get_data(as_text=True)
    assert outbox(app) == []
    done = client.post(path, data={**secret, "email": "Nina@Example.org"}, follow_redirects=True)
    assert "We have sent a link to nina@example.org" in done.get_data(as_text=True)
    assert "got an SMS?" in done.get_data(as_text=True)  # the login page says where the login comes from
    [mail] = outbox(app, "confirm_email")
    assert mail.recipient == "nina@example.org"
    assert "not confirmed yet" in login(client, "nina@example.org", "nina's own secret").get_data(as_text=True)
    assert "Your email is confirmed" in client.get(link_path(mail), follow_redirects=True).get_data(as_text=True)


def test_the_accounts_list_shows_the_phone_of_an_account_without_an_email(app, client, cast):
    with transaction(app.extensions["carepath"].sessions) as session:
        session.add(User(email=None, last_name="Орлова", first_name="Нина", phone="+79127001122", status="pending_activation"))
    login(client, "admin@test.org")
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert "+79127001122" in page and "None" not in page
