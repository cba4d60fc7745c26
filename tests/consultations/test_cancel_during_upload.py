"""Route 3: a patient who cancels while still asked to upload documents ends the consultation as any
other cancellation does (the pathway's upload task used to end silently, leaving the consultation open)."""

from __future__ import annotations

from sqlalchemy import select

from engine.consultations import service
from engine.consultations.models import AWAITING_DOCUMENTS, CANCELLED, Consultation
from engine.workflow import Actor
from engine.workflow.models import ProcessInstance
from tests.consultations.conftest import pending
from tests.consultations.helpers import consultation, kinds


def test_a_referred_patient_cancelling_before_uploading_cancels_the_consultation(sessions, deployed, world, clock):
    manager = Actor(world.manager, frozenset({"manager"}))
    instance = service.start_referral(sessions, manager, {
        "patient_id": world.patient, "referral_id": "R-11", "diagnosis_code": "G40.1", "diagnosis_text": "Эпилепсия",
        "target": "неврология", "manager_id": world.manager}, connectors=deployed)
    with sessions() as session:
        opened = session.scalars(select(Consultation).where(Consultation.process_instance_id == instance)).one()
    assert opened.status == AWAITING_DOCUMENTS and pending(sessions, instance, "upload")

    service.cancel(sessions, world.patient, opened.id, "Лечусь в другом месте", connectors=deployed)

    cancelled = consultation(sessions, opened.id)
    assert cancelled.status == CANCELLED and cancelled.cancel_reason == "Лечусь в другом месте"
    assert not pending(sessions, instance)
    with sessions() as session:
        assert session.get(ProcessInstance, instance).status == "cancelled"  # ended at its "cancelled" end
    assert kinds(sessions, "patient@example.test").count("consultation_cancelled") == 1
    # The review would wait in the queue of the institution's doctors (issue 16): no doctor has it yet to be told.
    assert kinds(sessions, "doctor@example.test").count("consultation_cancelled") == 0
