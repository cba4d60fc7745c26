"""Account operations. Each takes the caller's session and adds to its transaction; the caller commits.

Mail goes through the outbox in the same transaction, so an account is never created without its
confirmation message, nor a message sent for an account that was rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, outbox, roles
from engine.accounts import tokens, validation
from engine.accounts.consent import ConsentText
from engine.accounts.models import ACTIVE, PENDING_ACTIVATION, UNCONFIRMED, ConsentRecord, User, UserRole
from engine.clock import now
from engine.i18n import N_, Forbidden, UserError

# Argon2id at OWASP's first recommended setting (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1): about
# 25 ms of one core here. argon2-cffi's default (RFC 9106's low-memory profile: 64 MiB, t=3, 4 lanes) took
# 180 ms over four threads, and on a 2-core clinic server a handful of logins at once then queued
# behind each other for seconds. One lane leaves the other core to the rest of the platform. Hashes made
# with other parameters keep verifying (the parameters are stored in each hash).
PASSWORD_HASHER = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
_hasher = PasswordHasher(**PASSWORD_HASHER)
# Verifying against this when the email is unknown keeps a failed login as slow as a real one, so
# response times do not tell which emails have accounts.
_DUMMY_HASH = _hasher.hash("no such account, constant-time filler")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return bool(user.password_hash) and _hasher.verify(user.password_hash or "", password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class PersonData:
    last_name: str
    first_name: str
    email: str
    patronymic: str = ""
    birth_date: date | None = None
    phone: str = ""
    locale: str = "ru"
    oms_policy: str = ""
    snils: str = ""
    roles: set[str] = field(default_factory=lambda: {roles.PATIENT})


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def _clean(session: Session, data: PersonData) -> PersonData:
    email = validation.normalize_email(data.email)
    if find_by_email(session, email) is not None:
        raise UserError(N_("An account with this email already exists. Log in or reset the password."))
    validation.check_birth_date(data.birth_date)
    unknown = set(data.roles) - set(roles.ROLES)
    if unknown or not data.roles:
        raise UserError(N_("Choose at least one known role."))
    return PersonData(
        last_name=validation.clean_name(data.last_name),
        first_name=validation.clean_name(data.first_name),
        patronymic=validation.clean_name(data.patronymic, required=False),
        email=email,
        birth_date=data.birth_date,
        phone=validation.normalize_phone(data.phone),
        locale=data.locale if data.locale in ("ru", "en") else "ru",
        oms_policy=validation.normalize_oms(data.oms_policy),
        snils=validation.normalize_snils(data.snils),
        roles=set(data.roles),
    )


def _new_user(session: Session, data: PersonData, status: str, created_by: int | None) -> User:
    user = User(
        email=data.email,
        last_name=data.last_name,
        first_name=data.first_name,
        patronymic=data.patronymic,
        birth_date=data.birth_date,
        phone=data.phone,
        locale=data.locale,
        oms_policy=data.oms_policy,
        snils=data.snils,
        status=status,
        created_at=now(),
        created_by=created_by,
    )
    user.roles = [UserRole(role=r) for r in sorted(data.roles)]
    session.add(user)
    session.flush()
    return user


def _mail(session: Session, user: User, kind: str, context: dict[str, object], to: str | None = None) -> None:
    outbox.enqueue(
        session,
        kind=kind,
        to=to or user.email or "",
        context={"name": user.first_name, **context},
        locale=user.locale,
        user_id=user.id,
    )


def register(
    session: Session, data: PersonData, password: str, *, consent: ConsentText | None, ip: str, base_url: str
) -> User:
    """Self-registration of a patient. Without the consent nothing is created (R-ACC-04)."""
    if consent is None:
        raise UserError(N_("Registration needs your consent to the processing of personal data."))
    data.roles = {roles.PATIENT}
    # The password is checked and hashed before the first statement: the slow hash then never runs inside
    # the transaction (on SQLite the web request holds the write lock from its first statement).
    validation.check_password(password, email=validation.normalize_email(data.email))
    password_hash = hash_password(password)
    data = _clean(session, data)
    user = _new_user(session, data, UNCONFIRMED, None)
    user.password_hash = password_hash
    session.add(
        ConsentRecord(
            user_id=user.id, kind=consent.kind, version=consent.version, text_sha256=consent.sha256,
            locale=consent.locale, accepted_at=now(), ip=ip,
        )
    )
    raw = tokens.issue(session, user, tokens.CONFIRM_EMAIL)
    _mail(session, user, "confirm_email", {
        "link": tokens.link(base_url, tokens.CONFIRM_EMAIL, raw),
        "expires_hours": int(tokens.LIFETIMES[tokens.CONFIRM_EMAIL].total_seconds() // 3600),
    })
    audit.record(session, "register", actor_id=user.id, ip=ip)
    return user


def resend_confirmation(session: Session, user: User, *, base_url: str) -> None:
    if user.status != UNCONFIRMED:
        return
    raw = tokens.issue(session, user, tokens.CONFIRM_EMAIL)
    _mail(session, user, "confirm_email", {
        "link": tokens.link(base_url, tokens.CONFIRM_EMAIL, raw),
        "expires_hours": int(tokens.LIFETIMES[tokens.CONFIRM_EMAIL].total_seconds() // 3600),
    })


def confirm_email(session: Session, raw: str, *, ip: str) -> User:
    token = tokens.use(session, tokens.CONFIRM_EMAIL, raw)
    user = session.get(User, token.user_id)
    assert user is not None
    if user.status == UNCONFIRMED:
        user.status = ACTIVE
    user.email_confirmed_at = now()
    audit.record(session, "email_confirmed", actor_id=user.id, ip=ip)
    return user


def create_account(
    session: Session, creator: User, data: PersonData, *, ip: str, base_url: str
) -> User:
    """Staff create an account (R-ACC-02); the person sets a password from the emailed link."""
    if not creator.has_role(*roles.ACCOUNT_CREATORS):
        raise Forbidden(N_("You may not create accounts."))
    if data.roles & roles.STAFF_ROLES and not creator.has_role(roles.ADMIN):
        raise Forbidden(N_("Only an administrator may create staff accounts."))
    data = _clean(session, data)
    user = _new_user(session, data, PENDING_ACTIVATION, creator.id)
    send_activation(session, user, base_url=base_url)
    audit.record(session, "account_created", actor_id=creator.id, subject_id=user.id, ip=ip,
                 object_type="user", object_id=user.id, roles=sorted(data.roles))
    return user


def send_activation(session: Session, user: User, *, base_url: str, kind: str = "activate_account") -> str:
    raw = tokens.issue(session, user, tokens.ACTIVATE)
    _mail(session, user, kind, {
        "link": tokens.link(base_url, tokens.ACTIVATE, raw),
        "expires_hours": int(tokens.LIFETIMES[tokens.ACTIVATE].total_seconds() // 3600),
    })
    return raw


def activate(session: Session, raw: str, password: str, *, ip: str, email: str = "", base_url: str = "") -> User:
    """The person sets the password from the activation link. An account made without an email (a
    patient a referral table gave only a mobile phone, reached by SMS) takes one here: it becomes the
    login at once and is confirmed by the usual link, as at registration; until then the account is
    unconfirmed (can log in, nothing medical)."""
    token = tokens.peek(session, tokens.ACTIVATE, raw)
    user = session.get(User, token.user_id)
    assert user is not None
    new_email = ""
    if user.email is None:
        if not email.strip():
            raise UserError(N_("Enter your email: it will be your login."))
        new_email = validation.normalize_email(email)
        if find_by_email(session, new_email) is not None:
            raise UserError(N_("An account with this email already exists. Log in or reset the password."))
    validation.check_password(password, email=user.email or new_email)
    tokens.use(session, tokens.ACTIVATE, raw)
    user.password_hash = hash_password(password)
    if new_email:
        user.email = new_email
        user.status = UNCONFIRMED
        if user.phone:
            user.phone_confirmed_at = now()  # the activation link came by SMS to this number
        confirm = tokens.issue(session, user, tokens.CONFIRM_EMAIL)
        _mail(session, user, "confirm_email", {
            "link": tokens.link(base_url, tokens.CONFIRM_EMAIL, confirm),
            "expires_hours": int(tokens.LIFETIMES[tokens.CONFIRM_EMAIL].total_seconds() // 3600),
        })
        audit.record(session, "account_activated", actor_id=user.id, ip=ip, new_email=new_email)
        return user
    user.status = ACTIVE
    user.email_confirmed_at = now()
    audit.record(session, "account_activated", actor_id=user.id, ip=ip)
    return user


def authenticate(session: Session, email: str, password: str, *, ip: str) -> User | None:
    """The user, or None; a failure is journalled for the account it named (if any)."""
    user = find_by_email(session, email or "")
    if user is None:
        _slow_fail()
        audit.record(session, "login_failed", actor_id=None, ip=ip, email=(email or "")[:254])
        return None
    if user.status == PENDING_ACTIVATION or not verify_password(user, password):
        audit.record(session, "login_failed", actor_id=None, subject_id=user.id, ip=ip)
        return None
    return user


def _slow_fail() -> None:
    try:
        _hasher.verify(_DUMMY_HASH, "wrong")
    except VerificationError:
        pass


def verify_login_code(session: Session, user: User, code: str, *, ip: str) -> None:
    try:
        tokens.check_code(session, user, code)
    except UserError:
        audit.record(session, "login_code_failed", actor_id=None, subject_id=user.id, ip=ip)
        raise


def record_login(session: Session, user: User, *, ip: str) -> None:
    audit.record(session, "login", actor_id=user.id, ip=ip)


def request_password_reset(session: Session, email: str, *, ip: str, base_url: str) -> None:
    """Same outcome for known and unknown emails, so the form does not reveal who has an account."""
    user = find_by_email(session, email or "")
    if user is None or user.status == PENDING_ACTIVATION:
        return
    raw = tokens.issue(session, user, tokens.RESET_PASSWORD)
    _mail(session, user, "reset_password", {
        "link": tokens.link(base_url, tokens.RESET_PASSWORD, raw),
        "expires_hours": int(tokens.LIFETIMES[tokens.RESET_PASSWORD].total_seconds() // 3600),
    })
    audit.record(session, "password_reset_requested", actor_id=None, subject_id=user.id, ip=ip)


def reset_password(session: Session, raw: str, password: str, *, ip: str) -> User:
    token = tokens.peek(session, tokens.RESET_PASSWORD, raw)
    user = session.get(User, token.user_id)
    assert user is not None
    validation.check_password(password, email=user.email or "")
    tokens.use(session, tokens.RESET_PASSWORD, raw)
    user.password_hash = hash_password(password)
    audit.record(session, "password_reset", actor_id=user.id, ip=ip)
    return user


def change_password(session: Session, user: User, current: str, new: str, *, ip: str) -> None:
    if not verify_password(user, current):
        raise UserError(N_("The current password is wrong."))
    validation.check_password(new, email=user.email or "")
    user.password_hash = hash_password(new)
    audit.record(session, "password_changed", actor_id=user.id, ip=ip)


PROFILE_FIELDS = ("last_name", "first_name", "patronymic", "phone", "oms_policy", "snils",
                  "notify_email", "notify_sms", "locale", "timezone", "two_factor")


def update_profile(session: Session, user: User, changes: dict[str, object], *, ip: str, base_url: str) -> list[str]:
    """Apply profile changes; returns the names of the fields that changed. A new email is only taken
    once the link sent to it is opened (R-PROF-01, re-confirmation)."""
    clean: dict[str, object] = {}
    for name in PROFILE_FIELDS:
        if name not in changes:
            continue
        value = changes[name]
        if name in ("last_name", "first_name"):
            value = validation.clean_name(str(value))
        elif name == "patronymic":
            value = validation.clean_name(str(value or ""), required=False)
        elif name == "phone":
            value = validation.normalize_phone(str(value or ""))
        elif name == "oms_policy":
            value = validation.normalize_oms(str(value or ""))
        elif name == "snils":
            value = validation.normalize_snils(str(value or ""))
        elif name == "timezone":
            value = validation.check_timezone(str(value))
        elif name == "locale" and value not in ("ru", "en"):
            raise UserError(N_("Choose Russian or English."))
        elif name in ("notify_email", "notify_sms", "two_factor"):
            value = bool(value)
        clean[name] = value
    if clean.get("notify_sms") and not clean.get("phone", user.phone):
        raise UserError(N_("SMS reminders need a mobile phone number."))
    changed = [name for name, value in clean.items() if getattr(user, name) != value]
    if "phone" in changed:
        user.phone_confirmed_at = None  # a new number has not been proved
    for name in changed:
        setattr(user, name, clean[name])
    new_email = str(changes.get("email") or "").strip()
    if new_email and new_email.lower() != (user.email or "").lower():
        new_email = validation.normalize_email(new_email)
        if find_by_email(session, new_email) is not None:
            raise UserError(N_("An account with this email already exists. Log in or reset the password."))
        raw = tokens.issue(session, user, tokens.CHANGE_EMAIL, new_email=new_email)
        _mail(session, user, "change_email", {
            "link": tokens.link(base_url, tokens.CHANGE_EMAIL, raw),
            "expires_hours": int(tokens.LIFETIMES[tokens.CHANGE_EMAIL].total_seconds() // 3600),
        }, to=new_email)
        audit.record(session, "email_change_requested", actor_id=user.id, ip=ip, new_email=new_email)
    if "two_factor" in changed:
        audit.record(session, "two_factor_on" if user.two_factor else "two_factor_off", actor_id=user.id, ip=ip)
        changed.remove("two_factor")
    if changed:
        audit.record(session, "profile_changed", actor_id=user.id, ip=ip, fields=changed)
    return changed


def confirm_email_change(session: Session, raw: str, *, ip: str) -> User:
    token = tokens.use(session, tokens.CHANGE_EMAIL, raw)
    user = session.get(User, token.user_id)
    assert user is not None and token.new_email
    if find_by_email(session, token.new_email) is not None:
        raise UserError(N_("An account with this email already exists. Log in or reset the password."))
    old = user.email
    user.email = token.new_email
    user.email_confirmed_at = now()
    audit.record(session, "email_changed", actor_id=user.id, ip=ip, old_email=old, new_email=user.email)
    return user
