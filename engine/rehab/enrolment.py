"""Self-enrolment into an exercise-therapy (ЛФК) group (R-ACC-06): a person without an account applies
with the consent to personal-data processing; a manager or instructor accepts, which creates the patient
account and sends "You are registered on the rehabilitation service" with the activation link."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, outbox, roles
from engine.accounts import service as accounts
from engine.accounts import validation
from engine.accounts.consent import ConsentText
from engine.accounts.models import PENDING_ACTIVATION, ConsentRecord, User
from engine.clock import now
from engine.i18n import N_, Forbidden, NotFound, UserError
from engine.rehab.models import ACCEPTED, DECLINED, NEW, EnrolmentApplication

ACCEPTORS = frozenset({roles.MANAGER, roles.INSTRUCTOR, roles.ADMIN})
REGISTERED_KIND = "rehab_registered"


def apply(session: Session, *, last_name: str, first_name: str, patronymic: str, email: str, phone: str,
          birth_date: date | None, comment: str, locale: str, consent: ConsentText | None, ip: str) -> EnrolmentApplication:
    if consent is None:
        raise UserError(N_("Registration needs your consent to the processing of personal data."))
    email = validation.normalize_email(email)
    if accounts.find_by_email(session, email) is not None:
        raise UserError(N_("An account with this email already exists. Log in or reset the password."))
    pending = session.scalar(select(EnrolmentApplication.id).where(
        EnrolmentApplication.email == email, EnrolmentApplication.status == NEW))
    if pending is not None:
        raise UserError(N_("An application from this email is already waiting for review."))
    if birth_date and not date(1900, 1, 1) <= birth_date <= now().date():
        raise UserError(N_("Enter a real date of birth."))
    application = EnrolmentApplication(
        last_name=validation.clean_name(last_name), first_name=validation.clean_name(first_name),
        patronymic=validation.clean_name(patronymic, required=False), email=email,
        phone=validation.normalize_phone(phone), birth_date=birth_date, comment=(comment or "").strip()[:2000],
        locale=locale if locale in ("ru", "en") else "ru", consent_kind=consent.kind,
        consent_version=consent.version, consent_sha256=consent.sha256, ip=ip, status=NEW, created_at=now())
    session.add(application)
    session.flush()
    outbox.enqueue(session, kind="enrolment_received", to=email, locale=application.locale,
                   context={"name": application.first_name}, dedupe_key=f"rehab_enrolment:{application.id}")
    audit.record(session, "rehab_enrolment_applied", actor_id=None, ip=ip, object_type="rehab_enrolment",
                 object_id=application.id, email=email)
    return application


def pending(session: Session) -> list[EnrolmentApplication]:
    return list(session.scalars(select(EnrolmentApplication).where(EnrolmentApplication.status == NEW)
                                .order_by(EnrolmentApplication.id)))


def _open(session: Session, acceptor: User, application_id: int) -> EnrolmentApplication:
    if not acceptor.has_role(*ACCEPTORS):
        raise Forbidden(N_("Only a manager or an instructor may review applications."))
    application = session.get(EnrolmentApplication, application_id) if isinstance(application_id, int) else None
    if application is None:
        raise NotFound(N_("There is no such application."))
    if application.status != NEW:
        raise UserError(N_("This application has already been reviewed."))
    return application


def accept(session: Session, acceptor: User, application_id: int, *, base_url: str, ip: str) -> User:
    """Create the patient account from the application, with the consent it was given with."""
    application = _open(session, acceptor, application_id)
    if accounts.find_by_email(session, application.email) is not None:
        raise UserError(N_("An account with this email already exists. Log in or reset the password."))
    data = accounts.PersonData(
        last_name=application.last_name, first_name=application.first_name, patronymic=application.patronymic,
        email=application.email, birth_date=application.birth_date, phone=application.phone,
        locale=application.locale, roles={roles.PATIENT})
    # Not accounts.create_account: that one sends the generic activation mail and only lets doctors,
    # managers and admins create accounts; an instructor accepting a group application may too (seed 000).
    user = accounts._new_user(session, accounts._clean(session, data), PENDING_ACTIVATION, acceptor.id)
    session.add(ConsentRecord(user_id=user.id, kind=application.consent_kind, version=application.consent_version,
                              text_sha256=application.consent_sha256, locale=application.locale,
                              accepted_at=application.created_at, ip=application.ip))
    accounts.send_activation(session, user, base_url=base_url, kind=REGISTERED_KIND)
    application.status, application.decided_by, application.decided_at = ACCEPTED, acceptor.id, now()
    application.user_id = user.id
    audit.record(session, "rehab_enrolment_accepted", actor_id=acceptor.id, subject_id=user.id, ip=ip,
                 object_type="rehab_enrolment", object_id=application.id)
    audit.record(session, "account_created", actor_id=acceptor.id, subject_id=user.id, ip=ip,
                 object_type="user", object_id=user.id, roles=[roles.PATIENT])
    return user


def decline(session: Session, acceptor: User, application_id: int, *, ip: str) -> EnrolmentApplication:
    application = _open(session, acceptor, application_id)
    application.status, application.decided_by, application.decided_at = DECLINED, acceptor.id, now()
    audit.record(session, "rehab_enrolment_declined", actor_id=acceptor.id, ip=ip, object_type="rehab_enrolment",
                 object_id=application.id)
    return application
