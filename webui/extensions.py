"""Flask extensions as module objects, bound to an app in create_app() (nothing built at import)."""

from __future__ import annotations

from flask import request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from engine.config import LOCALES

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# The storage is chosen per app in create_app (RATELIMIT_STORAGE_URI): memory, or the shared database.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    """Explicit choice (the switcher) first, then the browser's languages, then the configured default."""
    from flask import current_app
    from flask_login import current_user

    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    return request.accept_languages.best_match(LOCALES) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    """Times are shown in the person's own time zone (profile), else the platform default."""
    from flask_login import current_user

    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.timezone
    return None
