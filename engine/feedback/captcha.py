"""The self-hosted proof-of-work captcha (ALTCHA v2 challenges, `altcha` on PyPI; the widget comes from
npm). The server signs a challenge with its secret; the browser finds the counter whose PBKDF2 key starts
with the asked prefix; the server checks the signature and the key, and spends the challenge so the same
solution cannot be sent twice. Nothing is sent to a third party."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import altcha
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.feedback.models import SpentChallenge
from engine.i18n import N_, UserError

ALGORITHM = "PBKDF2/SHA-256"
# About 256 tries of 5,000 PBKDF2 rounds: a second or two in a browser, a cost for a bot that posts in bulk.
COST = 5000
KEY_PREFIX = "00"
# Wall time, not the app's clock: the widget and the altcha library judge expiry by the real time.
LIFETIME = timedelta(minutes=20)


def new_challenge(secret: str) -> dict[str, Any]:
    challenge = altcha.create_challenge(ALGORITHM, COST, key_prefix=KEY_PREFIX, expires_at=datetime.now(UTC) + LIFETIME,
                                        hmac_secret=secret)
    return challenge.to_dict()


def _nonce(payload: str) -> str | None:
    try:
        return str(json.loads(base64.b64decode(payload))["challenge"]["parameters"]["nonce"])[:64]
    except (ValueError, KeyError, TypeError):
        return None


def spend(session: Session, secret: str, payload: str) -> None:
    """Accept a solved challenge once, in the caller's transaction; UserError when missing, wrong,
    expired or already used."""
    if not payload:
        raise UserError(N_("Please confirm that you are not a robot (the check under the form)."))
    result = altcha.verify_solution(payload, secret)
    nonce = _nonce(payload)
    if result.expired:
        raise UserError(N_("The robot check has expired. Please run it again."))
    if not result.verified or nonce is None:
        raise UserError(N_("The robot check failed. Please run it again."))
    session.execute(delete(SpentChallenge).where(SpentChallenge.expires_at < datetime.now(UTC)))
    if session.scalar(select(SpentChallenge.nonce).where(SpentChallenge.nonce == nonce)) is not None:
        raise UserError(N_("This robot check has already been used. Please run it again."))
    session.add(SpentChallenge(nonce=nonce, expires_at=datetime.now(UTC) + LIFETIME))
    session.flush()  # two requests with one solution at the same moment: the primary key refuses the second
