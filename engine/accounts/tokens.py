"""One-time links and codes: issued with a lifetime, stored hashed, used once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.accounts.models import OneTimeToken, User
from engine.clock import now
from engine.i18n import N_, UserError

CONFIRM_EMAIL = "confirm_email"
ACTIVATE = "activate"
RESET_PASSWORD = "reset_password"
CHANGE_EMAIL = "change_email"
LOGIN_CODE = "login_code"
PHONE_CODE = "phone_code"
CODES = (LOGIN_CODE, PHONE_CODE)  # six digits typed by hand, not links

LIFETIMES = {
    CONFIRM_EMAIL: timedelta(hours=48),
    ACTIVATE: timedelta(hours=72),
    RESET_PASSWORD: timedelta(hours=2),
    CHANGE_EMAIL: timedelta(hours=48),
    LOGIN_CODE: timedelta(minutes=10),
    PHONE_CODE: timedelta(minutes=10),
}
# Paths of the pages that take each link; the web layer routes these and mail builds links from them.
LINK_PATHS = {
    CONFIRM_EMAIL: "/account/confirm/",
    ACTIVATE: "/account/activate/",
    RESET_PASSWORD: "/account/reset/",
    CHANGE_EMAIL: "/account/email/",
}
MAX_CODE_ATTEMPTS = 5
EXPIRED = {LOGIN_CODE: N_("The code has expired. Log in again to get a new one."),
           PHONE_CODE: N_("The code has expired. Ask for a new one.")}
EXHAUSTED = {LOGIN_CODE: N_("Too many wrong codes. Log in again to get a new one."),
             PHONE_CODE: N_("Too many wrong codes. Ask for a new one.")}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue(session: Session, user: User, purpose: str, *, new_email: str | None = None) -> str:
    """A new token; earlier unused tokens of the same purpose stop working (only the newest link counts)."""
    session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None))
        .values(used_at=now(), detail="superseded")
    )
    raw = f"{secrets.randbelow(10**6):06d}" if purpose in CODES else secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(raw),
            new_email=new_email,
            created_at=now(),
            expires_at=now() + LIFETIMES[purpose],
        )
    )
    session.flush()
    return raw


def link(base_url: str, purpose: str, raw: str) -> str:
    return f"{base_url.rstrip('/')}{LINK_PATHS[purpose]}{raw}"


def peek(session: Session, purpose: str, raw: str) -> OneTimeToken:
    """The live token for a link, without using it up (to show the page the link opens)."""
    token = session.scalar(
        select(OneTimeToken).where(OneTimeToken.purpose == purpose, OneTimeToken.token_hash == _hash(raw or ""))
    )
    if token is None:
        raise UserError(N_("This link is not valid. Check that you copied it whole, or ask for a new one."))
    if token.used_at is not None:
        raise UserError(N_("This link has already been used. Ask for a new one if you still need it."))
    if token.expires_at <= now():
        raise UserError(N_("This link has expired. Ask for a new one."))
    return token


def use(session: Session, purpose: str, raw: str) -> OneTimeToken:
    token = peek(session, purpose, raw)
    token.used_at = now()
    return token


def check_code(session: Session, user: User, code: str, purpose: str = LOGIN_CODE) -> None:
    """A login or phone code: wrong answers count, and after MAX_CODE_ATTEMPTS the code is dead."""
    token = session.scalar(
        select(OneTimeToken)
        .where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None))
        .order_by(OneTimeToken.id.desc())
    )
    if token is None or token.expires_at <= now():
        raise UserError(EXPIRED[purpose])
    if not hmac.compare_digest(token.token_hash, _hash((code or "").strip())):
        token.attempts += 1
        if token.attempts >= MAX_CODE_ATTEMPTS:
            token.used_at = now()
            token.detail = "too many attempts"
            raise UserError(EXHAUSTED[purpose])
        raise UserError(N_("Wrong code. Attempts left: %(n)s."), n=MAX_CODE_ATTEMPTS - token.attempts)
    token.used_at = now()
