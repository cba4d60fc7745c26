"""Finding or creating the patient of a referral row.

Matching order (R-CONS-3-04: the manager enters the region's patients; a second import of the same
table must not create anyone twice): SNILS, then the OMS policy, then email together with the date of
birth, then the phone with the name and date of birth (a patient imported with only a phone, who may
have given an email since). A match fills only the fields the account lacks (the person may have
corrected their own profile since); it never overwrites them.

A new account is created as staff create one (engine.accounts.service.create_account): the importing
manager is the creator, the account waits for activation, and the activation link goes out as a
`referral_activation` message ("You have been referred for an online consultation") by email, and by
SMS too when the platform has an SMS gateway (R-CONS-3-05). The SMS carries the login and a link to set
the password, never a password itself: a password in an SMS would stay readable on the phone forever.
A patient the table gives only a mobile phone gets an account without an email and the link by SMS
alone, gateway or not (without one it lands in the local mailbox, where an admin reads it); the person
gives an email, their login, on the page that link opens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, outbox, roles
from engine.accounts import tokens
from engine.accounts.models import PENDING_ACTIVATION, OneTimeToken, User, UserRole
from engine.clock import now
from engine.i18n import N_, Forbidden
from engine.referrals.models import CREATED, MATCHED, UPDATED
from engine.referrals.validate import is_mobile, phone_identity

FILLABLE = ("patronymic", "phone", "snils", "oms_policy", "birth_date")
ACTIVATION_KIND = "referral_activation"


@dataclass(frozen=True)
class Outcome:
    user: User | None
    result: str  # CREATED / UPDATED / MATCHED, or "" when skipped
    reason: list[Any] | None = None  # [msgid, params] when skipped


class PatientIndex:
    """The accounts a chunk of rows may match, loaded in three queries instead of three per row.

    (user_account has no index on SNILS or policy; a query per row would scan it 10,000 times.)
    """

    def __init__(self, session: Session, rows: list[dict[str, Any]]) -> None:
        snils = {v["snils"] for v in rows if v.get("snils")}
        oms = {v["oms_policy"] for v in rows if v.get("oms_policy")}
        emails = {v["email"] for v in rows if v.get("email")}
        phones = {v["phone"] for v in rows if v.get("phone")}
        found: list[User] = []
        if snils:
            found += session.scalars(select(User).where(User.snils.in_(snils)).order_by(User.id))
        if oms:
            found += session.scalars(select(User).where(User.oms_policy.in_(oms)).order_by(User.id))
        if emails:
            found += session.scalars(select(User).where(func.lower(User.email).in_(emails)))
        if phones:
            found += session.scalars(select(User).where(User.phone.in_(phones)).order_by(User.id))
        self.by_snils: dict[str, User] = {}
        self.by_oms: dict[str, User] = {}
        self.by_email: dict[str, User] = {}
        self.by_phone: dict[str, User] = {}
        for user in found:
            self.add(user)

    def add(self, user: User) -> None:
        if user.snils:
            self.by_snils.setdefault(user.snils, user)
        if user.oms_policy:
            self.by_oms.setdefault(user.oms_policy, user)
        if user.email:
            self.by_email[user.email.lower()] = user
        if user.phone and user.birth_date:
            self.by_phone.setdefault(phone_identity({"phone": user.phone, "last_name": user.last_name,
                                                     "first_name": user.first_name,
                                                     "birth_date": user.birth_date.isoformat()}), user)

    def match(self, values: dict[str, Any]) -> User | None:
        user = self.by_snils.get(values.get("snils") or "") or self.by_oms.get(values.get("oms_policy") or "")
        if user is not None:
            return user
        by_email = self.by_email.get(values.get("email") or "")
        if by_email is not None and values.get("birth_date") and by_email.birth_date == _date(values["birth_date"]):
            return by_email
        if values.get("phone") and values.get("birth_date"):
            return self.by_phone.get(phone_identity(values))
        return None

    def email_taken(self, email: str | None) -> bool:
        return bool(email) and email in self.by_email


def ensure_patients(
    session: Session, manager: User, rows: list[dict[str, Any]], *, base_url: str, locale: str, sms: bool,
    ip: str = "",
) -> list[Outcome]:
    """Each row's patient, created or completed in the caller's transaction; one Outcome per row.

    New accounts are inserted together (one flush per chunk, not per row): creating them one by one
    cost more than everything else in an import.
    """
    if not manager.has_role(*roles.ACCOUNT_CREATORS):
        raise Forbidden(N_("You may not create accounts."))
    index = PatientIndex(session, rows)
    outcomes: list[Outcome] = []
    new_users: list[User] = []
    for values in rows:
        user = index.match(values)
        if user is not None:
            outcomes.append(_existing(session, manager, user, values, ip))
        elif index.email_taken(values.get("email")):
            outcomes.append(Outcome(None, "", [N_("The email belongs to another account (its SNILS, policy or date of birth differ)."), {}]))
        else:
            user = _new_user(manager, values, locale)
            index.add(user)  # a later row of the chunk naming the same person matches it
            new_users.append(user)
            outcomes.append(Outcome(user, CREATED))
    if not new_users:
        return outcomes
    session.add_all(new_users)
    session.flush()
    _send_activations(session, manager, new_users, base_url=base_url, sms=sms, ip=ip)
    return outcomes


def _send_activations(
    session: Session, manager: User, users: list[User], *, base_url: str, sms: bool, ip: str
) -> None:
    """What service.send_activation does per account (a one-time ACTIVATE token, its link queued in the
    outbox), for a whole chunk of brand-new accounts in two multi-row INSERTs.

    Per account, send_activation costs an UPDATE of earlier tokens (a new account has none), a flush
    and an ORM insert: 2.7 ms, more than all the rest of a row's import. The rows written here are the
    same: token rows shaped by engine.accounts.tokens, outbox rows as engine.outbox.enqueue writes them,
    each with a dedupe key, and the deliverer is woken the same way.
    """
    at = now()
    token_rows, messages = [], []
    hours = int(tokens.LIFETIMES[tokens.ACTIVATE].total_seconds() // 3600)
    for user in users:
        raw = secrets.token_urlsafe(32)
        token_rows.append({"user_id": user.id, "purpose": tokens.ACTIVATE, "token_hash": tokens._hash(raw),
                           "new_email": None, "created_at": at, "expires_at": at + tokens.LIFETIMES[tokens.ACTIVATE],
                           "used_at": None, "attempts": 0, "detail": ""})  # fmt: skip
        link = tokens.link(base_url, tokens.ACTIVATE, raw)
        context = {"name": user.first_name, "link": link, "expires_hours": hours, "login": user.email or ""}
        if user.email:
            messages.append(_message(user, outbox.EMAIL, user.email, context, f"referral-activation:{user.id}", at))
        # A landline would not receive it; without an email the SMS is the only way, gateway or not.
        if is_mobile(user.phone) and (sms or not user.email):
            messages.append(_message(user, outbox.SMS, user.phone, context, f"referral-activation-sms:{user.id}", at))
        audit.record(session, "account_created", actor_id=manager.id, subject_id=user.id, ip=ip,
                     object_type="user", object_id=user.id, roles=[roles.PATIENT], source="referral import")
    session.execute(OneTimeToken.__table__.insert(), token_rows)
    session.execute(outbox.OutboxMessage.__table__.insert(), messages)
    session.info[outbox.ENQUEUED_FLAG] = True


def _message(user: User, channel: str, to: str, context: dict[str, Any], key: str, at: datetime) -> dict[str, Any]:
    return {"kind": ACTIVATION_KIND, "channel": channel, "recipient": to, "user_id": user.id, "locale": user.locale,
            "context": context, "dedupe_key": key, "status": outbox.QUEUED, "attempts": 0, "next_attempt_at": at,
            "created_at": at, "sent_at": None, "last_error": None}  # fmt: skip


def _existing(session: Session, manager: User, user: User, values: dict[str, Any], ip: str) -> Outcome:
    if user.id is None:  # created for an earlier row of this chunk
        return Outcome(user, MATCHED)
    if not user.has_role(roles.PATIENT):
        return Outcome(None, "", [N_("This person has a staff account, not a patient account."), {}])
    changed = _fill_blanks(user, values)
    if changed:
        audit.record(session, "profile_changed", actor_id=manager.id, subject_id=user.id, ip=ip,
                     object_type="user", object_id=user.id, fields=changed, source="referral import")
    return Outcome(user, UPDATED if changed else MATCHED)


def _new_user(manager: User, values: dict[str, Any], locale: str) -> User:
    user = User(
        email=values.get("email") or None, last_name=values["last_name"], first_name=values["first_name"],
        patronymic=values.get("patronymic", ""), birth_date=_date(values.get("birth_date")),
        phone=values.get("phone", ""), snils=values.get("snils", ""), oms_policy=values.get("oms_policy", ""),
        locale=locale, status=PENDING_ACTIVATION, created_at=now(), created_by=manager.id,
        notify_sms=is_mobile(values.get("phone", "")), password_hash=None,
    )  # fmt: skip
    user.roles = [UserRole(role=roles.PATIENT)]
    return user


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _fill_blanks(user: User, values: dict[str, Any]) -> list[str]:
    changed = []
    for name in FILLABLE:
        new = _date(values.get(name)) if name == "birth_date" else values.get(name)
        if new and not getattr(user, name):
            setattr(user, name, new)
            changed.append(name)
    return changed
