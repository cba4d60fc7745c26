"""Who books: a person without an account identifies by a document (or none), as the seed's form asks.

Decision: the identity given at booking is stored on the ticket itself (the seed's registry keeps no
patient record for such people), and the engine's Actor for the pathway is a *light account*: a User
with the patient role, status `pending_activation` and no password (so it can never log in), found
again by a deterministic placeholder address derived from the identity key. The same person booking
twice with the same document gets the same light account, so "one ticket at a time" holds across
bookings. Access to a ticket booked without an account is by an unguessable token in the person's
session and in the emailed link, never by the light account.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import roles
from engine.accounts import validation
from engine.accounts.models import PENDING_ACTIVATION, User, UserRole
from engine.accounts.service import find_by_email
from engine.clock import now
from engine.db import transaction
from engine.i18n import N_, UserError
from engine.registry.models import DOC_DMS, DOC_NONE, DOC_OMS, DOC_PASSPORT, DOC_SNILS, DOC_TYPES

LIGHT_DOMAIN = "registry.invalid"  # a reserved TLD: nothing is ever sent to these addresses

# Which fields each document needs besides phone and consent (R-BOOK-14 … R-BOOK-18).
NEEDS_BIRTH_DATE = frozenset({DOC_OMS, DOC_DMS, DOC_NONE})
NEEDS_NAMES = frozenset({DOC_NONE})


@dataclass
class Identity:
    doc_type: str
    doc_number: str = ""
    last_name: str = ""
    first_name: str = ""
    patronymic: str = ""
    birth_date: date | None = None
    phone: str = ""
    email: str = ""
    consent: bool = False
    locale: str = "ru"

    @property
    def key(self) -> str:
        """What makes two bookings the same person's: the document, or name and date of birth."""
        if self.doc_type == DOC_NONE:
            names = "|".join(n.lower().replace("ё", "е") for n in (self.last_name, self.first_name, self.patronymic))
            return f"none:{names}|{self.birth_date.isoformat() if self.birth_date else ''}"[:120]
        return f"{self.doc_type}:{self.doc_number}"


def normalize_passport(value: str) -> str:
    """A Russian internal passport: 4-digit series and 6-digit number -> '4510 123456'."""
    if re.search(r"[^\d\s№-]", value or ""):
        raise UserError(N_("A passport is 4 digits of the series and 6 digits of the number, like 4510 123456."))
    number = validation.digits(value)
    if len(number) != 10:
        raise UserError(N_("A passport is 4 digits of the series and 6 digits of the number, like 4510 123456."))
    return f"{number[:4]} {number[4:]}"


def normalize_dms(value: str) -> str:
    """DMS policies differ by insurer: letters, digits, dashes and slashes, 5 to 30 characters."""
    cleaned = " ".join((value or "").split()).upper()
    if not re.fullmatch(r"[0-9A-ZА-ЯЁ][0-9A-ZА-ЯЁ /-]{3,28}[0-9A-ZА-ЯЁ]", cleaned):
        raise UserError(N_("Enter the DMS policy number as printed on the policy (letters, digits, dashes)."))
    return cleaned


def clean_identity(identity: Identity, *, email_required: bool) -> Identity:
    """Checks and normalizes what the person typed; raises UserError with the first problem."""
    if identity.doc_type not in DOC_TYPES:
        raise UserError(N_("Choose an identity document."))
    if not identity.consent:
        raise UserError(N_("Booking needs your consent to the processing of personal data."))
    doc = identity.doc_type
    number = ""
    if doc == DOC_OMS:
        if not (identity.doc_number or "").strip():
            raise UserError(N_("Enter the OMS policy number."))
        number = validation.normalize_oms(identity.doc_number)
    elif doc == DOC_SNILS:
        if not (identity.doc_number or "").strip():
            raise UserError(N_("Enter the SNILS number."))
        number = validation.normalize_snils(identity.doc_number)
    elif doc == DOC_PASSPORT:
        number = normalize_passport(identity.doc_number)
    elif doc == DOC_DMS:
        number = normalize_dms(identity.doc_number)
    last = first = patronymic = ""
    if doc in NEEDS_NAMES:
        last = validation.clean_name(identity.last_name)
        first = validation.clean_name(identity.first_name)
        patronymic = validation.clean_name(identity.patronymic, required=False)
    birth = identity.birth_date if doc in NEEDS_BIRTH_DATE else None
    if doc in NEEDS_BIRTH_DATE:
        if birth is None:
            raise UserError(N_("Enter the date of birth."))
        if not date(1900, 1, 1) <= birth <= now().date():
            raise UserError(N_("Enter a real date of birth."))
    phone = validation.normalize_phone(identity.phone, required=True)
    email = ""
    if (identity.email or "").strip():
        email = validation.normalize_email(identity.email)
    elif email_required:
        raise UserError(N_("Enter an email address: the confirmation code is sent there."))
    return Identity(doc, number, last, first, patronymic, birth, phone, email, True,
                    identity.locale if identity.locale in ("ru", "en") else "ru")


def light_account_email(identity_key: str) -> str:
    digest = hashlib.sha256(identity_key.encode("utf-8")).hexdigest()[:24]
    return f"booker-{digest}@{LIGHT_DOMAIN}"


def ensure_light_account(session_factory: sessionmaker[Session], identity: Identity) -> int:
    """The light account's user id for this identity, created in its own transaction if needed.

    Two first bookings of the same person at once both try to insert; the loser reads the winner's row.
    """
    email = light_account_email(identity.key)
    for _ in range(2):
        with transaction(session_factory) as session:
            user = find_by_email(session, email)
            if user is not None:
                return user.id
        try:
            with transaction(session_factory) as session:
                user = User(
                    email=email, last_name=identity.last_name or "—", first_name=identity.first_name or "—",
                    patronymic=identity.patronymic, birth_date=identity.birth_date, phone=identity.phone,
                    status=PENDING_ACTIVATION, locale=identity.locale, created_at=now(),
                    oms_policy=identity.doc_number if identity.doc_type == DOC_OMS else "",
                    snils=identity.doc_number if identity.doc_type == DOC_SNILS else "",
                    notify_email=False,
                )
                user.roles = [UserRole(role=roles.PATIENT)]
                session.add(user)
                session.flush()
                return user.id
        except IntegrityError:
            continue
    raise RuntimeError("could not create or find the light account")  # pragma: no cover


def is_light_account(user: User) -> bool:
    return (user.email or "").endswith("@" + LIGHT_DOMAIN)


def identity_of_user(user: User) -> Identity:
    """A cabinet booking: the account is the identity; its documents link it to portal bookings."""
    if user.oms_policy:
        doc, number = DOC_OMS, user.oms_policy
    elif user.snils:
        doc, number = DOC_SNILS, user.snils
    else:
        doc, number = DOC_NONE, ""
    return Identity(doc, number, user.last_name, user.first_name, user.patronymic, user.birth_date,
                    user.phone, user.email or "", True, user.locale)
