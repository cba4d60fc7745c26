"""A referral's review waits in the queue of the receiving institution's doctors of the specialty: any of
them sees it, one takes it and becomes the consultation's doctor, and nobody outside the queue learns of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.consultations import centers, service
from engine.consultations.models import SCHEDULED, Consultation
from engine.db import transaction
from engine.documents import service as documents
from engine.documents.storage import FileStore
from engine.i18n import Forbidden, NotFound
from engine.registry.models import Slot
from engine.workflow import Actor, claim_task, get_task, inbox
from tests.consultations.conftest import pending
from tests.consultations.helpers import actor, consultation, do, tick, upload


def _referred(sessions, deployed, world, tmp_path) -> tuple[int, int, int]:
    """(instance, consultation, document) of a neurology referral whose documents have arrived."""
    instance = service.start_referral(sessions, Actor(world.manager, frozenset({"manager"})), {
        "patient_id": world.patient, "referral_id": "R-9", "diagnosis_code": "G40.1", "diagnosis_text": "Эпилепсия",
        "target": "неврология", "manager_id": world.manager}, connectors=deployed)
    document = upload(sessions, tmp_path, world.patient)
    do(sessions, deployed, world, "patient", instance, "upload", {"uploaded": True})
    with sessions() as session:
        opened = session.scalars(select(Consultation).where(Consultation.process_instance_id == instance)).one()
    return instance, opened.id, document


def _inbox_has(sessions, world, who: str, instance: int) -> bool:
    with sessions() as session:
        return any(i.instance_id == instance for i in inbox(session, actor(world, who, sessions)))


def test_the_review_is_the_queues_until_one_doctor_takes_it_and_becomes_the_consultations_doctor(
        sessions, deployed, world, clock, tmp_path):
    instance, consultation_id, document = _referred(sessions, deployed, world, tmp_path)
    [review] = pending(sessions, instance, "review")
    with sessions() as session:
        center = consultation(sessions, consultation_id)
        assert review.assignee_user_id is None and center.doctor_user_id is None
        assert review.candidate_group == centers.review_group(center.institution_id, world.neuro_id)
    store = FileStore(tmp_path / "files")
    # Both neurologists of the center see it and may read the application and its documents.
    for who in ("doctor", "second_doctor"):
        assert _inbox_has(sessions, world, who, instance)
        with transaction(sessions) as session:
            found = service.get_for(session, getattr(world, who), consultation_id)
            assert service.in_review_queue(session, found, getattr(world, who))
    # A doctor of another institution or of no center learns nothing of it.
    for who in ("duty_doctor", "outsider_doctor"):
        assert not _inbox_has(sessions, world, who, instance)
        with sessions() as session:
            with pytest.raises(NotFound):
                get_task(session, actor(world, who, sessions), instance, review.task_guid)
            with pytest.raises(NotFound):
                service.get_for(session, getattr(world, who), consultation_id)

    with transaction(sessions) as session:
        claim_task(session, actor(world, "second_doctor", sessions), instance, review.task_guid)
    assert _inbox_has(sessions, world, "second_doctor", instance)
    assert not _inbox_has(sessions, world, "doctor", instance)  # taken: the colleague no longer sees it
    with sessions() as session:
        with pytest.raises(NotFound):
            service.get_for(session, world.doctor, consultation_id)
        with pytest.raises(Forbidden):
            get_task(session, actor(world, "doctor", sessions), instance, review.task_guid)

    # The taker books one of their own times; the consultation, its documents and its session are theirs.
    slot_id = world.slots["second_doctor"][0]
    do(sessions, deployed, world, "second_doctor", instance, "review", {"decision": "schedule", "slot_id": str(slot_id)})
    booked = consultation(sessions, consultation_id)
    assert booked.status == SCHEDULED and booked.doctor_user_id == world.second_doctor
    with transaction(sessions) as session:
        assert session.get(Slot, slot_id).status != "free"
        assert documents.read(session, store, document, user_id=world.second_doctor)[1].startswith(b"%PDF")
        with pytest.raises(Forbidden):
            documents.read(session, store, document, user_id=world.doctor)
    do(sessions, deployed, world, "patient", instance, "consent", {"consent_accepted": True})
    clock.current = booked.starts_at
    for _ in range(3):
        tick(sessions, deployed)
    [hold] = pending(sessions, instance, "hold")
    assert hold.assignee_user_id == world.second_doctor


def test_an_untaken_review_goes_overdue_and_the_manager_may_send_it_back_to_the_queue(
        sessions, deployed, world, clock, tmp_path):
    instance, consultation_id, _document = _referred(sessions, deployed, world, tmp_path)
    clock.advance(days=4, minutes=1)  # nobody took it (the exact moment: test_routes)
    tick(sessions, deployed)
    [overdue] = pending(sessions, instance, "handle_overdue")
    assert overdue.assignee_user_id == world.manager
    do(sessions, deployed, world, "manager", instance, "handle_overdue", {})  # no name: the same queue again
    [again] = pending(sessions, instance, "review")
    assert again.assignee_user_id is None and again.candidate_group
    do(sessions, deployed, world, "doctor", instance, "review", {"decision": "decline", "message": "Not our field."})
    assert consultation(sessions, consultation_id).doctor_user_id == world.doctor


def test_an_overdue_review_in_the_queue_counts_in_the_digest_of_that_queues_doctors_only(
        sessions, deployed, world, tmp_path):
    from engine import reminders

    instance, _consultation_id, _document = _referred(sessions, deployed, world, tmp_path)
    [review] = pending(sessions, instance, "review")
    assert review.due_at is not None
    with sessions() as session:  # the digest is read before the timer worker has escalated the review
        digests = {r.recipient: r.context["queue"] for r in reminders.doctor_digest(session, review.due_at + timedelta(hours=1))}
    assert digests == {"doctor@example.test": 1, "second_doctor@example.test": 1}
