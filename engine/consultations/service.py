"""What people do with consultations outside user tasks: apply (route 1), book a duty doctor (route 2),
start a referral (route 3), cancel with a reason until the start, join in the window, attach files,
read. Each is checked against who is asking; bad input raises a UserError and changes nothing."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from engine import audit, roles
from engine.accounts.models import User
from engine.clock import now
from engine.consultations import centers as centers_
from engine.consultations.models import (
    APPLICATION,
    CANCELLED,
    DUTY,
    FINAL,
    OPEN,
    PATHWAYS,
    REFERRAL,
    SCHEDULED,
    Consultation,
)
from engine.documents import service as documents
from engine.documents.models import DRAFT, Document
from engine.documents.storage import BlobStore
from engine.i18n import N_, Conflict, Forbidden, NotFound, UserError
from engine.join_window import join_window
from engine.registry.models import FREE, Slot
from engine.registry.tickets import SLOT_TAKEN
from engine.workflow import Actor, ConnectorRegistry, correlate_message, start_instance

logger = logging.getLogger(__name__)
CANCEL_MESSAGE = "consultation_cancelled"  # the BPMN message a cancellation sends to the pathway
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")
# Cyrillic letters that look like Latin ones, as patients type ICD-10 codes on a Russian keyboard.
LOOKALIKE = str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX")
NAME_LIMIT, TEXT_LIMIT, REASON_LIMIT = 300, 4000, 1000


def normalize_icd10(code: str) -> str:
    value = (code or "").strip().upper().translate(LOOKALIKE).replace(",", ".")
    if not ICD10.match(value):
        raise UserError(N_("“%(code)s” is not an ICD-10 code. It looks like I10 or E11.9."), code=code or "")
    return value


@dataclass
class Application:
    """The application of route 1 (R-CONS-1-03)."""

    center_id: int
    specialty_id: int
    full_name: str
    age: int | None
    diagnosis_code: str
    diagnosis_text: str
    complaints: str
    document_ids: list[int] = field(default_factory=list)


def check_application(session: Session, patient_id: int, application: Application) -> dict[str, Any]:
    """The start data of `consultation_application`, or a UserError naming what is wrong."""
    found = centers_.center(session, application.center_id)
    if found is None:
        raise NotFound(N_("There is no such medical center."))
    if application.specialty_id not in {s.id for s in found.specialties}:
        raise UserError(N_("%(center)s does not consult in this specialty. Its profile: %(profile)s."),
                        center=found.institution.name, profile=found.profile or "—")
    name = " ".join((application.full_name or "").split())
    if not name or len(name) > NAME_LIMIT:
        raise UserError(N_("Enter your full name."))
    age = _checked_age(session, patient_id, application.age)
    code = normalize_icd10(application.diagnosis_code)
    diagnosis = (application.diagnosis_text or "").strip()
    complaints = (application.complaints or "").strip()
    if not diagnosis or len(diagnosis) > 500:
        raise UserError(N_("Describe the current diagnosis (up to 500 characters)."))
    if not complaints or len(complaints) > TEXT_LIMIT:
        raise UserError(N_("Describe your complaints briefly (up to %(n)s characters)."), n=TEXT_LIMIT)
    ids = sorted(set(application.document_ids))
    drafts = _drafts(session, patient_id, ids)
    if not ids:
        raise UserError(N_("Attach at least one medical document (discharge summary, doctor's conclusion, "
                           "ultrasound, MRI, CT) to the application."))
    if len(drafts) != len(ids):
        raise UserError(N_("Some of the chosen documents are not yours or were already sent."))
    doctor = centers_.reviewer(session, found.institution.id, application.specialty_id)
    if doctor is None:
        raise UserError(N_("No doctor of %(center)s takes applications right now. Please choose another "
                           "center or try later."), center=found.institution.name)
    return {"application": {
        "route": APPLICATION, "center_id": found.center.id, "institution_id": found.institution.id,
        "specialty_id": application.specialty_id, "full_name": name, "age": age,
        "diagnosis_code": code, "diagnosis_text": diagnosis, "complaints": complaints, "document_ids": ids,
        "reviewer_id": doctor.user_id,
    }}


def years_on(birth_date: date, day: date) -> int:
    """Full years of a person born on `birth_date`, on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def profile_age(session: Session, patient_id: int) -> int | None:
    """The patient's age today by the profile's birth date; None without one."""
    born = session.scalar(select(User.birth_date).where(User.id == patient_id))
    return None if born is None else years_on(born, now().date())


def _ages_allowed(session: Session, patient_id: int) -> set[int] | None:
    """The ages the birth date allows: today's, and on a birthday eve or day also the other one, as the
    patient's own day may differ from the server's by one."""
    born = session.scalar(select(User.birth_date).where(User.id == patient_id))
    if born is None:
        return None
    today = now().date()
    return {years_on(born, today + timedelta(days=shift)) for shift in (-1, 0, 1)}


def _checked_age(session: Session, patient_id: int, age: int | None) -> int:
    """The application's age: derived from the profile's birth date when left empty, refused when it
    contradicts that date (the doctor reads both)."""
    allowed = _ages_allowed(session, patient_id)
    if age is None and allowed is not None:
        return profile_age(session, patient_id) or 0
    if age is None or not 0 <= age <= 130:
        raise UserError(N_("Enter your age in years (0 to 130)."))
    if allowed is not None and age not in allowed:
        raise UserError(N_("By the birth date in your profile, your age is %(age)s. Enter this age, or correct "
                           "the birth date in your profile."), age=profile_age(session, patient_id))
    return age


def _drafts(session: Session, patient_id: int, ids: list[int]) -> list[Document]:
    if not ids:
        return []
    return list(session.scalars(select(Document).where(
        Document.id.in_(ids), Document.patient_id == patient_id, Document.status == DRAFT)))


def _patient(user_id: int) -> Actor:
    return Actor(user_id, frozenset({roles.PATIENT}))


def _started(session_factory: sessionmaker[Session], instance_id: int) -> Consultation | None:
    with session_factory() as session:
        return session.scalars(select(Consultation).where(Consultation.process_instance_id == instance_id)).first()


def apply(session_factory: sessionmaker[Session], patient_id: int, application: Application, *,
          connectors: ConnectorRegistry | None = None, ip: str = "") -> Consultation:
    """Route 1: check the application, then start its pathway (which records it and sends it to review)."""
    with session_factory() as session:
        data = check_application(session, patient_id, application)
    data["application"]["ip"] = ip
    instance_id = start_instance(session_factory, PATHWAYS[APPLICATION], _patient(patient_id), data,
                                 patient_id=patient_id, connectors=connectors)
    consultation = _started(session_factory, instance_id)
    if consultation is None:
        _log_failure(session_factory, instance_id)
        raise UserError(N_("The application could not be sent. Please try again later."))
    return consultation


def book_duty(session_factory: sessionmaker[Session], patient_id: int, slot_id: int, *,
              connectors: ConnectorRegistry | None = None, ip: str = "") -> Consultation:
    """Route 2: the patient picks a duty doctor's free time; the pathway books it."""
    with session_factory() as session:
        slot = session.get(Slot, slot_id)
        if slot is None:
            raise NotFound(N_("There is no such time in the schedule."))
        doctor = centers_.duty_doctor_of_slot(session, slot)
        if doctor is None:
            raise UserError(N_("This time is not a duty doctor's consultation time."))
        if slot.starts_at <= now() + centers_.SLOT_LEAD or slot.status != FREE:
            raise Conflict(SLOT_TAKEN)
    data = {"booking": {"route": DUTY, "slot_id": slot_id, "ip": ip}}
    instance_id = start_instance(session_factory, PATHWAYS[DUTY], _patient(patient_id), data,
                                 patient_id=patient_id, connectors=connectors)
    consultation = _started(session_factory, instance_id)
    if consultation is None:
        raise Conflict(SLOT_TAKEN)
    return consultation


def _log_failure(session_factory: sessionmaker[Session], instance_id: int) -> None:
    from engine.workflow.models import ProcessInstance

    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id)
        if instance is not None and instance.error_message:
            logger.error("consultation pathway %s failed at %s: %s", instance_id, instance.error_element,
                         instance.error_message)


REFERRAL_KEYS = ("patient_id", "referral_id", "diagnosis_code", "diagnosis_text", "target", "manager_id")


def start_referral(session_factory: sessionmaker[Session], actor: Actor, data: dict[str, Any], *,
                   connectors: ConnectorRegistry | None = None) -> int:
    """Route 3 for one patient (the import starts it per row with exactly REFERRAL_KEYS)."""
    missing = [key for key in REFERRAL_KEYS if key not in data]
    if missing:
        raise UserError(N_("The referral lacks: %(keys)s."), keys=", ".join(missing))
    return start_instance(session_factory, PATHWAYS[REFERRAL], actor, {k: data[k] for k in REFERRAL_KEYS},
                          patient_id=int(data["patient_id"]), connectors=connectors)


# --- reading, with access checks -------------------------------------------------------------------

def get_for(session: Session, user_id: int, consultation_id: int) -> Consultation:
    """The consultation for its patient, its doctor, or a doctor of the queue its review waits in;
    anyone else gets 'no such consultation'."""
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or (user_id not in (consultation.patient_id, consultation.doctor_user_id)
                                and not in_review_queue(session, consultation, user_id)):
        raise NotFound(N_("There is no such consultation."))
    return consultation


def in_review_queue(session: Session, consultation: Consultation, user_id: int) -> bool:
    """A referral whose review waits in its institution's queue: its doctors read the application and the
    documents to decide whether to take it, until one of them does (then it is only the taker's)."""
    from engine.workflow.models import PendingTask

    if consultation.doctor_user_id is not None or consultation.institution_id is None \
            or consultation.process_instance_id is None:
        return False
    group = centers_.review_group(consultation.institution_id, consultation.specialty_id)
    taken_by = session.scalars(select(PendingTask.claimed_by).where(
        PendingTask.instance_id == consultation.process_instance_id, PendingTask.candidate_group == group,
        PendingTask.assignee_user_id.is_(None))).all()
    return any(taker in (None, user_id) for taker in taken_by) and group in centers_.doctor_groups(session, user_id)


def for_user(session: Session, user_id: int) -> tuple[list[Consultation], list[Consultation]]:
    """(upcoming, past) of a patient or a doctor: upcoming = still open; past = ended, newest first."""
    rows = list(session.scalars(
        select(Consultation).where(or_(Consultation.patient_id == user_id, Consultation.doctor_user_id == user_id))
        .order_by(Consultation.starts_at.is_(None), Consultation.starts_at, Consultation.id)
    ))
    upcoming = [c for c in rows if c.status in OPEN]
    past = sorted((c for c in rows if c.status in FINAL), key=lambda c: c.ended_at or c.created_at, reverse=True)
    return upcoming, past


def tasks_for(session: Session, user_id: int, consultation: Consultation) -> list[Any]:
    """This person's pending tasks of the consultation's pathway (review, documents, consent, hold,
    conclusion), so that its page can lead straight to what is awaited from them."""
    from engine.workflow.models import PendingTask

    if consultation.process_instance_id is None:
        return []
    mine = PendingTask.assignee_user_id == user_id
    if in_review_queue(session, consultation, user_id):  # the review waiting in their queue
        mine = or_(mine, PendingTask.candidate_group == centers_.review_group(
            consultation.institution_id, consultation.specialty_id))  # type: ignore[arg-type]
    return list(session.scalars(select(PendingTask).where(
        PendingTask.instance_id == consultation.process_instance_id, mine,
    ).order_by(PendingTask.id)))


def of_ticket(session: Session, ticket_id: int) -> Consultation | None:
    """The consultation whose time this registry ticket holds: such a ticket is cancelled only with its
    consultation (a reason, the doctor told, the pathway ended), never on its own."""
    return session.scalars(select(Consultation).where(Consultation.ticket_id == ticket_id).limit(1)).first()


def documents_of(session: Session, consultation: Consultation) -> list[Document]:
    return documents.for_patient(session, consultation.patient_id, reference=consultation.reference)


# --- acting ----------------------------------------------------------------------------------------

def cancel(session_factory: sessionmaker[Session], user_id: int, consultation_id: int, reason: str, *,
           connectors: ConnectorRegistry | None = None, ip: str = "") -> None:
    """The patient cancels with a reason until the start (R-CONS-0-05); the pathway frees the time,
    tells the doctor and ends. Nothing changes if it cannot be cancelled."""
    reason = (reason or "").strip()
    with session_factory() as session:
        consultation = get_for(session, user_id, consultation_id)
        if consultation.patient_id != user_id:
            raise Forbidden(N_("Only the patient can cancel a consultation."))
        check_cancellable(consultation)
        if not reason:
            raise UserError(N_("Say why you cancel the consultation."))
        if len(reason) > REASON_LIMIT:
            raise UserError(N_("The reason is too long: at most %(n)s characters."), n=REASON_LIMIT)
        instance_id = consultation.process_instance_id
    _send_cancel(session_factory, consultation_id, instance_id, {"reason": reason, "by": user_id, "ip": ip},
                 connectors)


def cancel_by_clinic(session_factory: sessionmaker[Session], consultation_id: int, reason: str, *, actor_id: int,
                     connectors: ConnectorRegistry | None = None, ip: str = "") -> None:
    """The clinic takes the consultation's time away (a schedule change hit its registry ticket): the same
    message as the patient's cancellation, so the pathway frees the time, tells the patient and the doctor
    once and ends; the journal names the staff member. Conflict if it can no longer be cancelled."""
    with session_factory() as session:
        consultation = session.get(Consultation, consultation_id)
        if consultation is None:
            raise NotFound(N_("There is no such consultation."))
        check_cancellable(consultation)
        instance_id = consultation.process_instance_id
    payload = {"reason": (reason or "").strip()[:REASON_LIMIT], "by": actor_id, "by_clinic": True, "ip": ip}
    _send_cancel(session_factory, consultation_id, instance_id, payload, connectors)


def _send_cancel(session_factory: sessionmaker[Session], consultation_id: int, instance_id: int | None,
                 payload: dict[str, Any], connectors: ConnectorRegistry | None) -> None:
    caught = correlate_message(session_factory, CANCEL_MESSAGE, {"consultation_id": consultation_id},
                               payload=payload, instance_id=instance_id, connectors=connectors)
    if not caught:
        raise Conflict(N_("This consultation can no longer be cancelled."))


def check_cancellable(consultation: Consultation) -> None:
    if consultation.status == CANCELLED:
        raise Conflict(N_("This consultation is already cancelled."))
    if consultation.status not in OPEN:
        raise Conflict(N_("This consultation can no longer be cancelled."))
    if consultation.starts_at is not None and consultation.starts_at <= now():
        raise Conflict(N_("The consultation has started; it can no longer be cancelled."))


def join(session: Session, user_id: int, consultation_id: int, *, ip: str = "") -> str:
    """The room URL, only for a participant, a scheduled consultation, a patient who gave consent, and
    from 10 minutes before the start to the end (R-VID-02); the caller commits the journal entry."""
    consultation = get_for(session, user_id, consultation_id)
    if consultation.status == CANCELLED:
        raise Conflict(N_("This consultation was cancelled; its link no longer works."))
    if consultation.status != SCHEDULED or consultation.starts_at is None or consultation.ends_at is None:
        raise UserError(N_("This consultation is not scheduled."))
    join_window(consultation.starts_at, consultation.ends_at).check()
    if user_id == consultation.patient_id and consultation.consent_at is None:
        raise UserError(N_("Accept the informed voluntary consent first (see your tasks)."))
    if not consultation.room_url:
        raise UserError(N_("The video room is being prepared. Please try again in a minute."))
    audit.record(session, "consultation_joined", actor_id=user_id, ip=ip, subject_id=consultation.patient_id,
                 object_type="consultation", object_id=consultation.id)
    return consultation.room_url


def attach_file(session: Session, store: BlobStore, user_id: int, consultation_id: int, *, filename: str,
                data: bytes, limits: documents.Limits, ip: str = "") -> Document:
    """The doctor attaches a file during the session (join window); it is sent at once, so immutable."""
    consultation = get_for(session, user_id, consultation_id)
    if user_id != consultation.doctor_user_id:
        raise Forbidden(N_("Only the consultation's doctor can attach files here."))
    if consultation.status != SCHEDULED or consultation.starts_at is None or consultation.ends_at is None:
        raise UserError(N_("Files can be attached only during a scheduled consultation."))
    join_window(consultation.starts_at, consultation.ends_at).check()
    document = documents.upload(session, store, patient_id=consultation.patient_id, uploader_id=user_id,
                                filename=filename, data=data, ip=ip, limits=limits, purpose="consultation",
                                reference=consultation.reference)
    documents.submit(session, [document.id], user_id=user_id, reference=consultation.reference)
    return document


def send_document(session: Session, store: BlobStore, user_id: int, consultation_id: int, *, filename: str,
                  data: bytes, limits: documents.Limits, ip: str = "") -> Document:
    """The patient sends a document to the doctor of an open consultation (R-DOC-06): it is submitted at
    once, so it can no longer be deleted (R-DOC-08), and the doctor may read it."""
    consultation = get_for(session, user_id, consultation_id)
    if user_id != consultation.patient_id:
        raise Forbidden(N_("Only the patient can send documents here."))
    if consultation.status not in OPEN:
        raise UserError(N_("Documents can be sent only before the consultation ends."))
    document = documents.upload(session, store, patient_id=user_id, uploader_id=user_id, filename=filename,
                                data=data, ip=ip, limits=limits, purpose="consultation", reference=consultation.reference)
    documents.submit(session, [document.id], user_id=user_id, reference=consultation.reference)
    if consultation.doctor_user_id:
        documents.grant(session, [document.id], consultation.doctor_user_id, reason=consultation.reference)
    return document
