"""The second factor's one-time code: by SMS to a confirmed phone when an SMS gateway is configured,
otherwise by email; and the phone's own confirmation by an SMS code.

The code page tells the person where the code went, masked ("+7 *** ***-**-67", "m***@example.org"), so
someone with two phones or two mailboxes knows where to look, and a stranger holding the password
learns little.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine import audit, outbox
from engine.accounts import tokens
from engine.accounts.models import User
from engine.clock import now
from engine.i18n import N_, UserError


def mask_phone(phone: str) -> str:
    """"+79123456767" -> "+7 *** ***-**-67": the country and the last two digits."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) < 4:
        return "***"
    country = digits[:-10] or "7"
    return f"+{country} *** ***-**-{digits[-2:]}"


def mask_email(email: str) -> str:
    """"maria.ivanova@example.org" -> "m***@example.org"."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def sms_reaches(user: User, *, sms_gateway: bool) -> bool:
    return sms_gateway and bool(user.phone) and user.phone_confirmed_at is not None


def start_login_code(session: Session, user: User, *, sms_gateway: bool) -> str:
    """Queue the code in the caller's transaction; returns the masked address it goes to."""
    code = tokens.issue(session, user, tokens.LOGIN_CODE)
    minutes = int(tokens.LIFETIMES[tokens.LOGIN_CODE].total_seconds() // 60)
    by_sms = sms_reaches(user, sms_gateway=sms_gateway) or not user.email
    outbox.enqueue(
        session, kind="login_code", to=user.phone if by_sms else user.email or "",
        context={"name": user.first_name, "code": code, "expires_minutes": minutes},
        locale=user.locale, channel=outbox.SMS if by_sms else outbox.EMAIL, user_id=user.id,
    )  # fmt: skip
    return mask_phone(user.phone) if by_sms else mask_email(user.email or "")


def start_phone_confirmation(session: Session, user: User) -> str:
    """An SMS with a code to the profile's phone; returns the masked number."""
    if not user.phone:
        raise UserError(N_("Enter a mobile phone number in the profile first."))
    code = tokens.issue(session, user, tokens.PHONE_CODE)
    outbox.enqueue(session, kind="phone_code", to=user.phone, context={"code": code}, locale=user.locale,
                   channel=outbox.SMS, user_id=user.id)  # fmt: skip
    return mask_phone(user.phone)


def confirm_phone(session: Session, user: User, code: str, *, ip: str) -> None:
    tokens.check_code(session, user, code, tokens.PHONE_CODE)
    user.phone_confirmed_at = now()
    audit.record(session, "phone_confirmed", actor_id=user.id, ip=ip, phone=mask_phone(user.phone))
