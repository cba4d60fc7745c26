"""The security floor: CSRF on every form, login rate limit, cookie flags."""

from __future__ import annotations

from engine.config import load_settings
from webui import create_app


def strict_app(tmp_path, csrf: bool = True, **env: str):
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_DEFAULT_LOCALE": "en",
                              "CAREPATH_LOGIN_RATE_LIMIT": "3 per minute", **env})
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": csrf}, settings=settings)
    from engine.db import create_all

    create_all(app.extensions["carepath"].engine)
    return app


def test_a_form_posted_without_its_csrf_token_is_refused(tmp_path):
    client = strict_app(tmp_path).test_client()
    response = client.post("/account/login", data={"email": "a@b.org", "password": "x"})
    assert response.status_code == 400
    assert "The form may have expired" in response.get_data(as_text=True)


def test_login_attempts_are_rate_limited_per_address(tmp_path):
    client = strict_app(tmp_path, csrf=False).test_client()
    codes = [client.post("/account/login", data={"email": "a@b.org", "password": "x"}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    page = client.post("/account/login", data={}).get_data(as_text=True)
    assert "Too many attempts" in page and 'href="/account/login">Back to the login form<' in page


def test_a_flood_refusal_is_journalled(tmp_path):
    app = strict_app(tmp_path, csrf=False)
    client = app.test_client()
    for _ in range(4):
        client.post("/account/login", data={"email": "a@b.org", "password": "x"})

    from sqlalchemy import select

    from engine.audit import AuditEntry

    with app.extensions["carepath"].sessions() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["login_failed"] * 3 + ["login_refused_address"]


def test_session_cookies_are_http_only_and_secure_behind_https(tmp_path):
    app = strict_app(tmp_path, CAREPATH_BASE_URL="https://carepath.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
