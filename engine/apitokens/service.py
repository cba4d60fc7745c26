"""Issuing, checking and revoking API tokens.

A token is 32 random bytes (URL-safe text with a `cp_` prefix, so it is recognisable in logs and secret
scanners). With that much entropy a plain SHA-256 is enough to store it: no one brute-forces 256 bits,
and a fast hash keeps every API request cheap. The plain token is returned once, at issue.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.accounts.models import User
from engine.apitokens.models import ApiToken
from engine.clock import now
from engine.i18n import N_, NotFound, UserError

TOKEN_PREFIX = "cp_"
MAX_ACTIVE_TOKENS = 20
NAME_LENGTH = 100
# Writing last_used_at on every request would turn each read into a write; once a minute is enough to
# tell a person which of their tokens is still in use.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, user: User, name: str, *, ip: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`: (row, plain token). Show the plain token once; it is not kept."""
    name = " ".join((name or "").split())
    if not name:
        raise UserError(N_("Give the token a name, for example the device it is for."))
    if len(name) > NAME_LENGTH:
        raise UserError(N_("The name is too long: at most %(max)s characters."), max=NAME_LENGTH)
    active = session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE_TOKENS:
        raise UserError(N_("You have %(max)s active tokens; revoke one you no longer use first."), max=MAX_ACTIVE_TOKENS)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, prefix=plain[:10], token_hash=hash_token(plain), created_at=now())
    session.add(row)
    session.flush()
    audit.record(session, "api_token_issued", actor_id=user.id, ip=ip, object_type="api_token", object_id=row.id,
                 name=name)
    return row, plain


def authenticate(session: Session, token: str) -> User | None:
    """The active account a token belongs to, or None (unknown, revoked, or a disabled account)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    # The lookup is by hash, so timing tells nothing about the token; compare anyway to be explicit.
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    moment = now()
    if row.last_used_at is None or moment - row.last_used_at >= LAST_USED_GRANULARITY:
        row.last_used_at = moment
    return user


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def revoke(session: Session, user: User, token_id: int, *, ip: str = "") -> ApiToken:
    """Revoke one of the user's own tokens; someone else's id is simply not found."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("There is no such token."))
    if row.revoked_at is None:
        row.revoked_at = now()
        audit.record(session, "api_token_revoked", actor_id=user.id, ip=ip, object_type="api_token",
                     object_id=row.id, name=row.name)
    return row
