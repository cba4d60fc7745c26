"""Service-task operators of the consultation pathways (workflows/bpmn/consultation_*/).

Each runs inside the engine step's transaction and only writes rows (consultation, registry ticket and
slot, documents' status, outbox): nothing slow. `register(registry, settings)` adds them; the settings
give the video provider's base URL and the site's address for links in messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, icd10
from engine.accounts.models import User
from engine.clock import now
from engine.config import Settings
from engine.consultations import booking, centers, notify
from engine.consultations.models import (
    AWAITING_DOCUMENTS,
    CANCELLED,
    DECLINED,
    HELD,
    MISSED,
    MORE_DOCUMENTS,
    OPEN,
    RATING_RANGE,
    REFERRAL,
    SCHEDULED,
    UNDER_REVIEW,
    Consultation,
    ConsultationCenter,
)
from engine.documents import service as documents
from engine.documents.models import DRAFT, Document
from engine.join_window import JOIN_LEAD
from engine.registry.models import Doctor, DoctorPost, Institution, Specialty, fold
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, Sample
from integrations.video import rooms_for

DAY_REMINDER = timedelta(hours=24)


class Operators:
    def __init__(self, settings: Settings | None) -> None:
        self.base_url = settings.base_url if settings else ""
        self.rooms = rooms_for(settings.video_base_url if settings else None)

    # --- opening -----------------------------------------------------------------------------------
    def open(self, session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """Records the consultation of this instance (route 1 application, route 2 booking, route 3
        referral). Route 2 books the slot at once; a time taken meanwhile records nothing."""
        route = str(params["route"])
        patient_id = int(context.patient_id or context.data["patient_id"])
        consultation = Consultation(route=route, patient_id=patient_id, process_instance_id=context.instance_id,
                                    created_at=now())
        details = dict(params.get("details") or {})
        no_reviewer, group = "", None
        if route == "application":
            self._application(session, consultation, details)
        elif route == REFERRAL:
            no_reviewer, group = self._referral(session, consultation, details)
        elif route in ("duty", "paid"):
            # Booked before the consultation joins the session: the loser of a race for the time keeps
            # nothing (no empty consultation without a time or a doctor).
            reason = booking.book(session, consultation, int(details["slot_id"]), doctor_user_id=None)
            if reason is not None:
                return {"booked": False, "reason": reason, "consultation_id": None, "doctor_id": None}
            consultation.status = SCHEDULED
            consultation.scheduled_at = now()
        session.add(consultation)
        session.flush()
        if route == "application":
            ids = [int(i) for i in details.get("document_ids") or []]
            documents.submit(session, ids, user_id=patient_id, reference=consultation.reference)
            if consultation.doctor_user_id:
                documents.grant(session, ids, consultation.doctor_user_id, reason=consultation.reference)
        audit.record(session, "consultation_requested", actor_id=patient_id if route != REFERRAL else None,
                     subject_id=patient_id, ip=str(details.get("ip") or ""), object_type="consultation",
                     object_id=consultation.id, route=route)
        return {"booked": True, "consultation_id": consultation.id, "doctor_id": consultation.doctor_user_id,
                "full_name": consultation.full_name, "documents": _document_list(session, consultation),
                # the catalogue's title beside the code in the doctor's review (МКБ-10 is kept in Russian)
                "diagnosis_title": icd10.title(consultation.diagnosis_code or "", "ru"),
                "no_reviewer": no_reviewer, "doctor_group": group}

    def _application(self, session: Session, consultation: Consultation, details: dict[str, Any]) -> None:
        consultation.center_id = int(details["center_id"])
        consultation.institution_id = int(details["institution_id"])
        consultation.specialty_id = int(details["specialty_id"])
        consultation.doctor_user_id = int(details["reviewer_id"])
        consultation.full_name = str(details["full_name"])
        consultation.age = int(details["age"])
        consultation.diagnosis_code = str(details["diagnosis_code"])
        consultation.diagnosis_text = str(details["diagnosis_text"])
        consultation.complaints = str(details["complaints"])
        consultation.status = UNDER_REVIEW

    def _referral(self, session: Session, consultation: Consultation,
                  details: dict[str, Any]) -> tuple[str, str | None]:
        """(why nobody can review, or ""; the queue of the receiving institution's doctors of the specialty
        that reviews it, whoever takes it first becoming the consultation's doctor)."""
        patient = session.get(User, consultation.patient_id)
        consultation.full_name = patient.full_name if patient else ""
        consultation.referral_id = str(details.get("referral_id") or "")[:80]
        consultation.diagnosis_code = str(details.get("diagnosis_code") or "")[:10]
        consultation.diagnosis_text = str(details.get("diagnosis_text") or "")[:500]
        consultation.status = AWAITING_DOCUMENTS
        target = str(details.get("target") or "")
        center, specialty = resolve_target(session, target)
        if center is not None:
            consultation.center_id, consultation.institution_id = center.id, center.institution_id
            consultation.specialty_id = specialty.id if specialty else None
            if centers.reviewer(session, center.institution_id, consultation.specialty_id) is not None:
                return "", centers.review_group(center.institution_id, consultation.specialty_id)
        # Why nobody can review, for the manager's "assign a reviewer" task (not an overdue review).
        if center is not None:
            return "no_doctor", None
        return ("no_specialist" if _names_a_specialty(session, target) else "no_center"), None

    # --- documents and review ----------------------------------------------------------------------
    def submit_documents(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """The patient's drafts go with the consultation (immutable from now) and to its doctor."""
        consultation = _get(session, params)
        drafts = list(session.scalars(select(Document.id).where(
            Document.patient_id == consultation.patient_id, Document.status == DRAFT)))
        documents.submit(session, drafts, user_id=consultation.patient_id, reference=consultation.reference)
        listed = _document_list(session, consultation)
        sent = [d["id"] for d in listed]
        if consultation.doctor_user_id:
            documents.grant(session, sent, consultation.doctor_user_id, reason=consultation.reference)
        if consultation.status in (AWAITING_DOCUMENTS, MORE_DOCUMENTS) and sent:
            consultation.status = UNDER_REVIEW
        return {"new": len(drafts), "count": len(sent), "documents": listed}

    def review(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """The doctor's decision: scheduled (slot booked), more_documents, declined, or retry + problem."""
        consultation = _get(session, params)
        self._take(session, consultation, params.get("reviewer_id"))
        decision = str(params.get("decision") or "")
        if decision == "schedule":
            slot = str(params.get("slot_id") or "")
            if not slot.isdigit():
                return {"result": "retry", "problem": "Choose a time to schedule the consultation."}
            reason = booking.book(session, consultation, int(slot), doctor_user_id=consultation.doctor_user_id)
            if reason is not None:
                return {"result": "retry", "problem": "The chosen time is no longer available. Choose another."}
            consultation.status, consultation.scheduled_at = SCHEDULED, now()
            return {"result": "scheduled", "problem": ""}
        text = str(params.get("message") or "").strip()
        if decision == "more_documents":
            if not text:
                return {"result": "retry", "problem": "Say which documents are needed."}
            consultation.status, consultation.doctor_message = MORE_DOCUMENTS, text[:4000]
            return {"result": "more_documents", "problem": ""}
        if decision == "decline":
            if not text:
                return {"result": "retry", "problem": "Give the reason for declining."}
            consultation.status, consultation.decline_reason = DECLINED, text[:4000]
            consultation.ended_at = now()
            return {"result": "declined", "problem": ""}
        return {"result": "retry", "problem": "Choose what to do with the application."}

    @staticmethod
    def _take(session: Session, consultation: Consultation, reviewer_id: object) -> None:
        """The doctor who decided a review from the queue becomes the consultation's doctor: the time is
        booked in their slots, the documents and the conclusion are theirs."""
        if consultation.doctor_user_id is not None or not isinstance(reviewer_id, int):
            return
        if consultation.institution_id is None or centers.doctor_of_user(
                session, reviewer_id, consultation.institution_id) is None:
            return  # the engine lets only the queue's doctors complete the review; nobody else is taken
        consultation.doctor_user_id = reviewer_id
        sent = [d.id for d in documents.for_patient(session, consultation.patient_id, reference=consultation.reference)]
        documents.grant(session, sent, reviewer_id, reason=consultation.reference)
        audit.record(session, "consultation_taken", actor_id=reviewer_id, subject_id=consultation.patient_id,
                     object_type="consultation", object_id=consultation.id)

    def escalate(self, session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """The review is overdue: the center's managers (or the referral's manager) are told."""
        consultation = _get(session, params)
        consultation.escalated_at = now()
        sent = 0
        for manager in notify.managers(session, context.data.get("manager_id")):
            sent += notify.send(session, consultation, "review_overdue", manager, self.base_url,
                                stage=now().isoformat(), extra={"days": int(params.get("days") or 0)})
        audit.record(session, "consultation_escalated", actor_id=None, subject_id=consultation.patient_id,
                     object_type="consultation", object_id=consultation.id)
        return {"notified": sent}

    def reassign(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """The manager names the doctor who reviews now (blank: the same doctor, reminded, or the same
        queue of the center's doctors when nobody had taken the review)."""
        consultation = _get(session, params)
        email = str(params.get("doctor_email") or "").strip().lower()
        if not email:
            if consultation.doctor_user_id is None and params.get("queue"):
                return {"doctor_id": None, "problem": ""}
            if consultation.doctor_user_id is None:
                return {"doctor_id": None, "problem": "Name a doctor of the center to review the application."}
            return {"doctor_id": consultation.doctor_user_id, "problem": ""}
        user = session.scalars(select(User).where(User.email == email)).first()
        doctor = centers.doctor_of_user(session, user.id, consultation.institution_id) if user else None
        if doctor is None:
            return {"doctor_id": consultation.doctor_user_id,
                    "problem": f"{email} is not a doctor of this center with an account."}
        consultation.doctor_user_id = user.id
        sent = [d.id for d in documents.for_patient(session, consultation.patient_id, reference=consultation.reference)]
        documents.grant(session, sent, user.id, reason=consultation.reference)
        return {"doctor_id": user.id, "problem": ""}

    # --- the session -------------------------------------------------------------------------------
    def meeting(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """An unguessable video room, the times the session's timers wait for, and the consent text."""
        consultation = _get(session, params)
        if not consultation.room_url:
            consultation.room_url = self.rooms.new_meeting().url
        starts, ends = consultation.starts_at, consultation.ends_at
        assert starts is not None and ends is not None
        # The consent (ИДС) text in the patient's language: the task shows it, the record names its version.
        from engine.conclusions.texts import telemedicine_consent

        patient = session.get(User, consultation.patient_id)
        consent = telemedicine_consent(patient.locale if patient else "ru")
        return {"starts_at": starts.isoformat(), "ends_at": ends.isoformat(),
                "consent_text": consent.text, "consent_version": consent.version, "consent_locale": consent.locale,
                "remind_at": max(starts - DAY_REMINDER, now()).isoformat(),
                "opens_at": max(starts - JOIN_LEAD, now()).isoformat(),
                "rate_until": (ends + timedelta(days=7)).isoformat()}

    def send(self, session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """`kind` to `to` ("patient" or "doctor"); a day reminder is skipped for a consultation scheduled
        less than a day ahead (its invitation just went out)."""
        consultation = _get(session, params)
        kind, stage = str(params["kind"]), str(params.get("stage") or "")
        if kind == "consultation_reminder" and consultation.status != SCHEDULED:
            return {"sent": False}
        if stage == "day" and consultation.starts_at and consultation.scheduled_at and \
                consultation.starts_at - consultation.scheduled_at < DAY_REMINDER:
            return {"sent": False}
        user_id = consultation.patient_id if params.get("to", "patient") == "patient" else consultation.doctor_user_id
        user = session.get(User, user_id) if user_id else None
        if user is None:
            return {"sent": False}
        return {"sent": notify.send(session, consultation, kind, user, self.base_url, stage=stage)}

    def cancel(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """A cancellation (a BPMN message with the reason), by the patient or, `by_clinic`, by the clinic
        whose schedule change took the time away: the time is free again (a slot the clinic blocked stays
        blocked), and the doctor and the patient are told once."""
        consultation = _get(session, params)
        message = dict(params.get("message") or {})
        if consultation.status not in OPEN:
            return {"cancelled": False}
        by_clinic = bool(message.get("by_clinic"))
        consultation.status, consultation.cancel_reason = CANCELLED, str(message.get("reason") or "")[:1000]
        consultation.ended_at = now()
        # "schedule_changed" is what the registry's own clinic cancellations say, so the ticket reads alike.
        booking.release(session, consultation, "schedule_changed" if by_clinic else "patient")
        actor = int(message["by"]) if by_clinic and message.get("by") else consultation.patient_id
        audit.record(session, "consultation_cancelled", actor_id=actor, ip=str(message.get("ip") or ""),
                     subject_id=consultation.patient_id, object_type="consultation", object_id=consultation.id,
                     reason=consultation.cancel_reason, by_clinic=by_clinic)
        for user_id in (consultation.doctor_user_id, consultation.patient_id):
            user = session.get(User, user_id) if user_id else None
            if user is not None:
                notify.send(session, consultation, "consultation_cancelled", user, self.base_url,
                            extra={"by_clinic": by_clinic})
        return {"cancelled": True}

    def consent(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        consultation = _get(session, params)
        if not params.get("accepted"):
            return {"accepted": False}
        consultation.consent_at = consultation.consent_at or now()
        audit.record(session, "consultation_consent", actor_id=consultation.patient_id, subject_id=consultation.patient_id,
                     object_type="consultation", object_id=consultation.id)
        return {"accepted": True, "at": consultation.consent_at.isoformat()}

    def mark(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        consultation = _get(session, params)
        held = str(params.get("outcome")) == "held"
        if consultation.status == SCHEDULED:
            consultation.status, consultation.ended_at = (HELD if held else MISSED), now()
            booking.close(session, consultation, held)
            audit.record(session, "consultation_held" if held else "consultation_missed",
                         actor_id=consultation.doctor_user_id, subject_id=consultation.patient_id,
                         object_type="consultation", object_id=consultation.id)
        return {"status": consultation.status}

    def rate(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        consultation = _get(session, params)
        rating = params.get("rating")
        if isinstance(rating, int) and rating in RATING_RANGE:
            consultation.rating = rating
            consultation.rating_comment = str(params.get("comment") or "")[:2000]
        return {"rating": consultation.rating}


def _document_list(session: Session, consultation: Consultation) -> list[dict[str, Any]]:
    """The documents sent with the consultation, oldest first, as the review task lists them (links to
    the consultation's document download, which checks the reader's access)."""
    sent = documents.for_patient(session, consultation.patient_id, reference=consultation.reference)
    return [{"id": d.id, "name": d.filename} for d in reversed(sent)]


def _get(session: Session, params: dict[str, Any]) -> Consultation:
    consultation = session.get(Consultation, int(params["consultation_id"]), with_for_update=True)
    if consultation is None:
        raise LookupError(f"no consultation {params['consultation_id']!r}")
    return consultation


def resolve_target(session: Session, target: str) -> tuple[ConsultationCenter | None, Specialty | None]:
    """A referral's target, as written ("Кардиология", a center's name or id): the center and specialty."""
    wanted = fold(target)
    if not wanted:
        return None, None
    rows = session.execute(select(ConsultationCenter, Institution).join(
        Institution, Institution.id == ConsultationCenter.institution_id).where(ConsultationCenter.active.is_(True))).all()
    for center, institution in rows:
        if wanted == str(center.id) or wanted in fold(institution.name) or fold(institution.name) in wanted:
            return center, None
    for specialty in session.scalars(select(Specialty)):
        name = fold(specialty.name)
        if wanted in name or name in wanted or _stem(wanted) in name:
            for center, institution in rows:
                has = session.scalar(select(DoctorPost.id).join(Doctor, Doctor.id == DoctorPost.doctor_id).where(
                    Doctor.institution_id == institution.id, DoctorPost.specialty_id == specialty.id,
                    Doctor.user_id.is_not(None)).limit(1))
                if has is not None:
                    return center, specialty
    return None, None


def target_known(session: Session, target: str) -> bool:
    """Whether a referral's target names an active consultation center or a known specialty (one without a
    reviewing doctor still counts: the manager is then asked to assign one)."""
    return resolve_target(session, target)[0] is not None or _names_a_specialty(session, target)


def _names_a_specialty(session: Session, target: str) -> bool:
    wanted = fold(target)
    return bool(wanted) and any(
        wanted in fold(s.name) or fold(s.name) in wanted or _stem(wanted) in fold(s.name)
        for s in session.scalars(select(Specialty)))


def _stem(text: str) -> str:
    # "кардиология" ~ "врач-кардиолог": compare without the last letters of the field's name.
    return text[:-3] if len(text) > 6 else text


OPERATORS = ("open", "submit_documents", "review", "escalate", "reassign", "meeting", "send", "cancel", "consent",
             "mark", "rate")
# The usual result of each operator, offered by the studio's test run (see ConnectorRegistry.register):
# the consultation is booked, scheduled, held and rated.
SAMPLES: dict[str, Sample] = {
    "open": {"booked": True, "consultation_id": 1, "doctor_id": 2, "full_name": "Sample Patient", "documents": [],
             "diagnosis_title": "", "no_reviewer": False, "doctor_group": None},
    "submit_documents": {"new": 1, "count": 1, "documents": [{"id": 1, "name": "sample.pdf"}]},
    "review": {"result": "scheduled", "problem": ""},
    "escalate": {"notified": True},
    "reassign": {"doctor_id": 2, "problem": ""},
    "meeting": lambda at: {"starts_at": (at + timedelta(days=2)).isoformat(),
                           "ends_at": (at + timedelta(days=2, minutes=30)).isoformat(),
                           "consent_text": "Sample consent", "consent_version": "1", "consent_locale": "en",
                           "remind_at": (at + timedelta(days=1)).isoformat(),
                           "opens_at": (at + timedelta(days=2) - JOIN_LEAD).isoformat(),
                           "rate_until": (at + timedelta(days=9, minutes=30)).isoformat()},
    "send": {"sent": True},
    "cancel": {"cancelled": True},
    "consent": lambda at: {"accepted": True, "at": (at + timedelta(days=2) - JOIN_LEAD).isoformat()},
    "mark": {"status": "held"},
    "rate": {"rating": 5},
}


def register(registry: ConnectorRegistry, settings: Settings | None = None) -> ConnectorRegistry:
    ops = Operators(settings)
    for name in OPERATORS:
        full = f"consultation_{name}"
        if full not in registry:
            registry.register(full, getattr(ops, name), sample=SAMPLES[name])
    return registry
