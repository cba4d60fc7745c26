"""Self-enrolment into an exercise-therapy (ЛФК) group (R-ACC-06), choosing from the groups one can join
(engine.rehab.groups). A person without an account applies with the consent to personal-data processing;
a manager or instructor accepts, which creates the patient account and sends "You are registered on the
rehabilitation service" with the activation link. A logged-in patient applies from their account: on
acceptance they get seats in the group's classes (through their course at its instructor), no new account."""

from __future__ import annotations

from dataclasses import dataclass
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
from engine.rehab import groups
from engine.rehab.models import ACCEPTED, DECLINED, NEW, EnrolmentApplication

ACCEPTORS = frozenset({roles.MANAGER, roles.INSTRUCTOR, roles.ADMIN})
REGISTERED_KIND = "rehab_registered"
ACCEPTED_KIND = "enrolment_accepted"


def apply(session: Session, *, last_name: str, first_name: str, patronymic: str, email: str, phone: str,
          birth_date: date | None, comment: str, locale: str, consent: ConsentText | None, ip: str,
          user: User | None = None, group_key: str = "") -> EnrolmentApplication:
    """An application to a group. From an account (`user`, a logged-in patient) the name, email and
    date of birth are the account's and the consent is the one given at registration; no second
    account is made when it is accepted."""
    group = None
    if group_key:
        group = groups.find(session, group_key)
        if group is None:
            raise UserError(N_("This group is no longer open for enrolment. Choose another one."))
    consent_sha = consent.sha256 if consent is not None else ""
    if user is not None:
        if not user.has_role(roles.PATIENT):
            raise Forbidden(N_("Only a patient may enrol in a group."))
        given = session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == user.id)
                               .order_by(ConsentRecord.accepted_at.desc()).limit(1))
        if given is not None:  # the consent given at registration covers the application
            consent = ConsentText(given.kind, given.version, given.locale, "")
            consent_sha = given.text_sha256
        last_name, first_name, patronymic = user.last_name, user.first_name, user.patronymic or ""
        email, birth_date = user.email, user.birth_date
        phone = phone or user.phone or ""
    if consent is None:
        raise UserError(N_("Registration needs your consent to the processing of personal data."))
    email = validation.normalize_email(email)
    if user is None and accounts.find_by_email(session, email) is not None:
        raise UserError(N_("An account with this email already exists. Log in, then enrol from your account."))
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
        consent_version=consent.version, consent_sha256=consent_sha, ip=ip, status=NEW, created_at=now(),
        from_account=user is not None, user_id=user.id if user is not None else None,
        group_key=group.key if group else "", group_title=group.title[:200] if group else "",
        group_instructor_id=group.instructor_id if group else None)
    session.add(application)
    session.flush()
    outbox.enqueue(session, kind="enrolment_received", to=email, locale=application.locale,
                   user_id=application.user_id, context={"name": application.first_name},
                   dedupe_key=f"rehab_enrolment:{application.id}")
    audit.record(session, "rehab_enrolment_applied", actor_id=application.user_id, ip=ip,
                 object_type="rehab_enrolment", object_id=application.id, email=email, group=application.group_key)
    return application


def has_consent(session: Session, user: User) -> bool:
    """Whether the patient gave the personal-data consent already (at registration): then an
    application from their account asks for nothing more."""
    return session.scalar(select(ConsentRecord.id).where(ConsentRecord.user_id == user.id).limit(1)) is not None


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


@dataclass(frozen=True)
class Accepted:
    user: User
    course_ids: list[int]  # courses given seats in the group's classes: the caller wakes them
    created: bool  # a new account (else the patient applied from theirs)


def accept(session: Session, acceptor: User, application_id: int, *, base_url: str, ip: str) -> Accepted:
    """Create the patient account from the application, with the consent it was given with; or, for a
    patient who applied from their account, seat them in the group (where they have a course at its
    instructor) and tell them it is accepted."""
    application = _open(session, acceptor, application_id)
    if application.from_account:
        return _accept_patient(session, acceptor, application, base_url=base_url, ip=ip)
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
    _decided(application, acceptor, ACCEPTED, user.id)
    audit.record(session, "rehab_enrolment_accepted", actor_id=acceptor.id, subject_id=user.id, ip=ip,
                 object_type="rehab_enrolment", object_id=application.id)
    audit.record(session, "account_created", actor_id=acceptor.id, subject_id=user.id, ip=ip,
                 object_type="user", object_id=user.id, roles=[roles.PATIENT])
    return Accepted(user, [], True)


def _accept_patient(session: Session, acceptor: User, application: EnrolmentApplication, *, base_url: str,
                    ip: str) -> Accepted:
    user = session.get(User, application.user_id) if application.user_id is not None else None
    if user is None:
        raise NotFound(N_("There is no such patient."))
    course_ids = groups.seat_patient(session, application.group_key, user.id) if application.group_key else []
    _decided(application, acceptor, ACCEPTED, user.id)
    outbox.enqueue(session, kind=ACCEPTED_KIND, to=user.email, user_id=user.id,
                   locale=user.locale if user.locale in ("ru", "en") else "ru",
                   dedupe_key=f"rehab_enrolment_accepted:{application.id}",
                   context={"name": user.first_name, "group": application.group_title, "seated": bool(course_ids),
                            "link": f"{base_url.rstrip('/')}/rehab/"})
    audit.record(session, "rehab_enrolment_accepted", actor_id=acceptor.id, subject_id=user.id, ip=ip,
                 object_type="rehab_enrolment", object_id=application.id, seated=bool(course_ids))
    return Accepted(user, course_ids, False)


def _decided(application: EnrolmentApplication, acceptor: User, status: str, user_id: int | None) -> None:
    application.status, application.decided_by, application.decided_at = status, acceptor.id, now()
    application.user_id = user_id


def decline(session: Session, acceptor: User, application_id: int, *, ip: str) -> EnrolmentApplication:
    application = _open(session, acceptor, application_id)
    _decided(application, acceptor, DECLINED, application.user_id)
    audit.record(session, "rehab_enrolment_declined", actor_id=acceptor.id, ip=ip, object_type="rehab_enrolment",
                 object_id=application.id)
    return application
