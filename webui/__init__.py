"""CarePath web app: `create_app()` composes settings, database, extensions and blueprints."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import bleach
import markdown
from flask import Flask, g, redirect, render_template, request, session, url_for
from markupsafe import Markup, escape
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.config import LOCALES, Settings, load_settings
from engine.db import make_engine, make_session_factory
from engine.i18n import UserError
from engine.workflow.cache import WORKFLOWS
from webui import db as request_db
from webui.extensions import babel, csrf, limiter, login_manager, select_locale, select_timezone
from webui.messages import user_message
from webui.security import security_headers

URL_RE = re.compile(r"https?://[^\s<>\"']+")
SAFE_TAGS = {"p", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "br", "code", "blockquote"}
TRANSLATIONS = Path(__file__).parent / "translations"


@dataclass
class Runtime:
    """What the app composition holds for the request handlers."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]


# SQLite cannot move a read transaction's snapshot forward: a request that read, then writes after another
# connection committed, fails at once with "database is locked" (busy_timeout does not apply). The request
# is then run again from the start on a fresh session. PostgreSQL never takes this path.
SQLITE_ATTEMPTS = 3


def _stale_sqlite_snapshot(error: OperationalError) -> bool:
    return "database is locked" in str(getattr(error, "orig", error))


class CarePathFlask(Flask):
    def dispatch_request(self) -> Any:
        for attempt in range(1, SQLITE_ATTEMPTS + 1):
            try:
                return super().dispatch_request()
            except OperationalError as error:
                if attempt == SQLITE_ATTEMPTS or not _stale_sqlite_snapshot(error):
                    raise
                request_db.close_session()
                # The logged-in user was loaded in the dropped session: load it again in the new one.
                g.pop("_login_user", None)
                for upload in request.files.values():
                    upload.stream.seek(0)
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")


def create_app(test_config: dict[str, Any] | None = None, *, settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = CarePathFlask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE="Europe/Moscow",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_ENABLED=True,
    )
    if test_config:
        app.config.update(test_config)

    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    WORKFLOWS.resize(settings.workflow_cache_mb)
    app.extensions["carepath"] = Runtime(settings, engine, sessions)
    _wake_deliverer_after_commit(sessions, settings)

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)  # before CSRF, so requests refused for their token still count towards the limit
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    # Flask-Login's own message would bypass our catalog; it is set per request in the right language.
    login_manager.localize_callback = _translate

    from webui import admin, auth, cabinet

    app.register_blueprint(auth.bp)
    app.register_blueprint(cabinet.bp)
    app.register_blueprint(admin.bp)
    from webui import registry; app.register_blueprint(registry.bp)  # noqa: E702, I001
    from webui import referrals, outbox_admin; app.register_blueprint(referrals.bp); app.register_blueprint(outbox_admin.bp)  # noqa: E702, I001
    from webui import history, verify; app.register_blueprint(history.bp); app.register_blueprint(verify.bp)  # noqa: E702, I001
    __import__("webui.tasks").tasks.register(app)  # tasks, instances, JSON API, API tokens
    __import__("webui.studio").studio.register(app)  # the pathway studio for analysts
    __import__("webui.consultations").consultations.register(app)  # the Consultations section
    __import__("webui.monitoring").monitoring.register(app)  # monitoring: questionnaires, doctor's pages
    from webui import messages_pages, rehab, rehab_enrol; app.register_blueprint(rehab.bp); app.register_blueprint(rehab_enrol.bp); app.register_blueprint(messages_pages.bp)  # noqa: E702, I001, E501

    app.teardown_appcontext(request_db.close_session)
    app.after_request(security_headers)
    _register_pages(app)
    return app


def _wake_deliverer_after_commit(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Mail queued and documents requested in a request go out within a second: after the commit, the
    background task worker is woken (workflows.enqueue: in a background thread, never waits, never fails
    the request). If Prefect is away, the sweep flow does the work when it is back."""
    from workflows import enqueue

    enqueue.wake_after_commit(sessions, settings)
    enqueue.warm_up(settings)


def _load_user(user_id: str) -> Any:
    from engine.accounts.models import User

    if not user_id.isdigit():
        return None
    user = request_db.db().get(User, int(user_id))
    return user if user is not None and user.is_active else None


def _translate(text: str) -> str:
    from flask_babel import gettext

    return gettext(text)


def _register_pages(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return redirect(url_for("cabinet.home"))

    @app.route("/lang/<code>", methods=["POST"])
    def switch_language(code: str) -> Any:
        if code in LOCALES:
            session["lang"] = code
        target = request.form.get("next") or "/"
        # Only local paths, so the switcher cannot be used as an open redirect.
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        return redirect(target)

    @app.errorhandler(UserError)
    def user_error(error: UserError) -> Any:
        return render_template("errors/error.html", message=user_message(error), code=error.status), error.status

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page(code))

    @app.template_filter("markdown")
    def markdown_filter(text: str) -> Markup:
        return Markup(bleach.clean(markdown.markdown(text), tags=SAFE_TAGS, strip=True))

    @app.template_filter("linkify")
    def linkify_filter(text: str) -> Markup:
        # Mail text shown to an admin: escape everything, then make http(s) URLs clickable. (bleach's
        # linkify only knows public TLDs, and the demo's links point at 127.0.0.1.)
        escaped = str(escape(text or ""))
        return Markup(URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))

    @app.template_filter("datetimeformat")
    def datetimeformat_filter(value: Any, fmt: str = "medium") -> str:
        from flask_babel import format_datetime

        return format_datetime(value, fmt)

    @app.context_processor
    def inject() -> dict[str, Any]:
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "locales": LOCALES}


def _error_page(code: int) -> Any:
    def handler(error: Exception) -> Any:
        return render_template("errors/error.html", code=code, message=None), code

    return handler
