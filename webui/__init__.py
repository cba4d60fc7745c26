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
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

from engine.config import LOCALES, Settings, load_settings
from engine.db import ID_MAX, make_engine, make_session_factory
from engine.i18n import N_, UserError
from engine.workflow import limits as script_limits
from engine.workflow.cache import WORKFLOWS
from webui import db as request_db
from webui.extensions import babel, csrf, limiter, login_manager, select_locale, select_timezone
from webui.messages import stored_message, user_message
from webui.rate_store import URI as DATABASE_RATE_STORAGE
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
API_PREFIX = "/api/v1/"
# gunicorn's --timeout (webui/cli.py says why 30 s); here because the request handling below depends on it.
GUNICORN_TIMEOUT_SECONDS = 30
# A request waits at most this long for SQLite's write lock (engine.db.make_engine), well under gunicorn's
# --timeout: a request still waiting when the arbiter's timeout
# runs out is killed with its worker (no answer at all, and a new worker imports the whole app), while
# one whose wait ends first gets "database is locked", which is answered as an error page and logged.
# The background worker keeps the longer default: nobody waits on it and it tries again by itself.
WEB_BUSY_TIMEOUT_SECONDS = 20.0
# A stale snapshot fails at once and is run again (above); a request that already waited out the busy
# timeout is not, unless another whole wait still ends before gunicorn's timeout.
RETRY_WITHIN_SECONDS = GUNICORN_TIMEOUT_SECONDS - WEB_BUSY_TIMEOUT_SECONDS - 2.0


def _stale_sqlite_snapshot(error: OperationalError) -> bool:
    return "database is locked" in str(getattr(error, "orig", error))


class CarePathFlask(Flask):
    def dispatch_request(self) -> Any:
        started = time.monotonic()
        for attempt in range(1, SQLITE_ATTEMPTS + 1):
            try:
                return super().dispatch_request()
            except OperationalError as error:
                if attempt == SQLITE_ATTEMPTS or not _stale_sqlite_snapshot(error):
                    raise
                if time.monotonic() - started > RETRY_WITHIN_SECONDS:
                    raise
                request_db.close_session()
                # The logged-in user was loaded in the dropped session: load it again in the new one.
                g.pop("_login_user", None)
                for upload in request.files.values():
                    upload.stream.seek(0)
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")


def _compile_catalogs(app: Flask) -> None:
    from webui.catalogs import ensure_compiled

    try:
        ensure_compiled()
    except OSError as exc:  # a read-only install: its packager must ship the .mo files
        app.logger.warning("could not compile the message catalogs: %s", exc)


def rate_storage_uri(settings: Settings) -> str:
    """Where Flask-Limiter counts: in the shared database on PostgreSQL, where several web processes and
    hosts serve the app (each would otherwise allow the whole rate); in memory for one SQLite host."""
    return DATABASE_RATE_STORAGE if settings.database_url.startswith("postgresql") else "memory://"


def create_app(test_config: dict[str, Any] | None = None, *, settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = CarePathFlask(__name__, instance_path=str(settings.instance_path))
    app.url_map.converters["int"] = IdConverter
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
        RATELIMIT_STORAGE_URI=rate_storage_uri(settings),
    )
    if test_config:
        app.config.update(test_config)

    engine = make_engine(settings.database_url, busy_timeout=WEB_BUSY_TIMEOUT_SECONDS)
    sessions = make_session_factory(engine)
    WORKFLOWS.resize(settings.workflow_cache_mb)
    script_limits.configure(settings.script_time_limit, settings.script_memory_mb)
    app.extensions["carepath"] = Runtime(settings, engine, sessions)
    _wake_deliverer_after_commit(sessions, settings)

    _compile_catalogs(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)  # before CSRF, so requests refused for their token still count towards the limit
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    # Flask-Login's own messages are English constants outside our catalog: ours are marked for extraction
    # here and translated per request (localize_callback) in the reader's language.
    login_manager.login_message = N_("Please log in to see this page.")
    login_manager.needs_refresh_message = N_("Please log in again to see this page.")
    login_manager.localize_callback = _translate

    # Each area is a package (webui/<area>/); register() mounts its blueprints, single-page areas expose bp.
    from webui import (
        accounts,
        admin,
        api,
        card,
        consultations,
        devicecheck,
        feedback,
        history,
        infopages,
        instances,
        messaging,
        monitoring,
        payments,
        referrals,
        registry,
        rehab,
        static_cache,
        studio,
        tasks,
        timedisplay,
        verify,
    )

    accounts.register(app)  # login, registration, the cabinet
    admin.register(app)  # staff accounts, journal, outbox
    registry.register(app)
    app.register_blueprint(referrals.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(verify.bp)
    tasks.register(app)  # tasks and the forms' templates
    app.register_blueprint(instances.bp)
    api.register(app)  # JSON API, API tokens
    studio.register(app)  # the pathway studio for analysts
    consultations.register(app)  # the Consultations section
    monitoring.register(app)  # monitoring: questionnaires, doctor's pages
    rehab.register(app)
    payments.register(app)  # paid consultations: contract, payment, desk, YooKassa's webhook
    app.register_blueprint(messaging.bp)
    card.register(app)  # the patient card and its FHIR export
    devicecheck.register(app)  # camera, microphone, speaker, browser and network before a session
    feedback.register(app)  # feedback with a self-hosted captcha; managers answer
    infopages.register(app)  # information pages in both languages, edited by managers, versioned

    app.teardown_appcontext(request_db.close_session)
    app.after_request(security_headers)
    from webui.studio.pages import DMN_JS_DIST

    static_cache.register(app, vendor={"instances.bpmn_js": instances.BPMN_JS_DIST, "studio.dmn_js": DMN_JS_DIST},
                          private=frozenset({"studio.dmn_js"}))  # fmt: skip
    _register_pages(app)
    timedisplay.register(app)  # the `apptime` filter: appointment times by the one display rule
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

    @app.route("/favicon.ico")
    def favicon() -> Any:
        # Browsers and bookmark tools ask for /favicon.ico whatever the page links: the same static file.
        return app.send_static_file("favicon.ico")

    @app.route("/lang/<code>", methods=["POST"])
    def switch_language(code: str) -> Any:
        if code in LOCALES:
            session["lang"] = code
            if current_user.is_authenticated and current_user.locale != code:
                # The profile's language (pages, mails) follows the header switch: one preference, not two.
                current_user.locale = code
                request_db.db().commit()
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

    app.add_template_filter(stored_message, "stored_message")

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

    @app.template_filter("dateformat")
    def dateformat_filter(value: Any, fmt: str = "medium") -> str:
        from flask_babel import format_date

        return format_date(value, fmt)

    @app.template_filter("number")
    def number_filter(value: Any) -> str:
        """36.6 as the reader writes it («36,6»), without trailing zeros; a stored amount such as "71.6" or
        "168/96" (alerts, task data) too."""
        from flask_babel import format_decimal

        from engine.numbers import PATTERN, localized_numbers

        return localized_numbers(value, lambda number: format_decimal(number, PATTERN))

    @app.template_filter("filesize")
    def filesize_filter(size: int) -> str:
        """A file's size in the reader's words and number format: «1,2 МБ», "340 kB"."""
        from babel.units import format_unit
        from flask_babel import get_locale

        # CLDR has no short Russian name for a byte, and a few bytes are "1 kB" to a person anyway.
        unit, amount = ("digital-megabyte", size / 1e6) if size >= 1e6 else ("digital-kilobyte", max(size / 1e3, 1))
        return format_unit(amount, unit, length="short", format="#,##0.#", locale=get_locale())

    @app.template_filter("filekind")
    def filekind_filter(content_type: str | None) -> str:
        """What a person calls a file ("PDF document"), never its MIME type."""
        from flask_babel import gettext

        return gettext(FILE_KINDS.get((content_type or "").split(";")[0].strip().lower(), N_("File")))

    @app.context_processor
    def inject() -> dict[str, Any]:
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "locales": LOCALES}


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond what an id column holds matches no route (404) instead of
    reaching the database (where SQLite raised OverflowError)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(url_map, *args, **kwargs)


# The kinds of file people upload here (documents.ALLOWED_TYPES and the monitoring attachments).
FILE_KINDS = {
    "application/pdf": N_("PDF document"),
    "image/jpeg": N_("JPEG image"),
    "image/png": N_("PNG image"),
}


def _error_page(code: int) -> Any:
    def handler(error: Exception) -> Any:
        if request.path.startswith(API_PREFIX):
            # No route matched (unknown path, undeclared method): an API client gets JSON, not a page.
            from webui.api.routes import http_error

            return http_error(error if isinstance(error, HTTPException) else InternalServerError())
        return render_template("errors/error.html", code=code, message=None), code

    return handler
