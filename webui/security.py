"""Who may see what: login, roles and the account state, plus response headers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def client_ip() -> str:
    return request.remote_addr or ""


def roles_required(*names: str) -> Callable[[F], F]:
    """Logged in and holding one of the roles, or 403 (a patient opening a doctor's page)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*names):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def confirmed_required(view: F) -> F:
    """Medical actions need a confirmed account (R-ACC-16): unconfirmed people are sent to confirm."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.can_act_medically:
            flash(_("Confirm your email address first: open the link we sent you."), "warning")
            return redirect(url_for("cabinet.home"))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(self), camera=(self)")
    if request.path.startswith(("/account", "/cabinet", "/admin")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
