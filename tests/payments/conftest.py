"""Paid consultations: the consultations' small world, with a price and a contract for the duty doctor's
institution (Polyclinic No. 1, Врач-терапевт)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.payments import contracts, prices
from engine.registry.models import Slot
from tests.consultations.conftest import World as World  # noqa: F401
from tests.consultations.conftest import connectors, deployed, pending, world  # noqa: F401

CONTRACT = "**Договор на оказание платных медицинских услуг**\n\nИсполнитель оказывает услугу «телемедицина»."


@dataclass
class Paid:
    institution_id: int
    specialty_id: int
    price_id: int
    contract_id: int


@pytest.fixture
def paid(sessions, world) -> Paid:  # noqa: F811
    with transaction(sessions) as session:
        slot = session.get(Slot, world.slots["duty_doctor"][0])
        price = prices.set_price(session, actor_id=world.manager, institution_id=slot.institution_id,
                                 specialty_id=slot.specialty_id, kind="online", amount="1 500,00")
        contract = contracts.publish(session, institution_id=slot.institution_id, text=CONTRACT, actor_id=world.manager)
        return Paid(slot.institution_id, slot.specialty_id, price.id, contract.id)


def last_code(sessions) -> str:
    from engine.outbox import OutboxMessage

    with sessions() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "contract_code")
                              .order_by(OutboxMessage.id.desc())).first()
        assert row is not None
        return str(row.context["code"])
