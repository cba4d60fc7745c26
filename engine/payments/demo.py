"""Demo paid service: the demo doctor's online consultation costs 1 500 ₽ at their institution, which
publishes a short contract, so `carepath run` shows the whole paid route (pay at the desk by default)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.payments import contracts, prices
from engine.payments.models import ONLINE
from engine.registry.demo import DEMO_DOCTOR_NAME
from engine.registry.models import Doctor

DEMO_PRICE = "1500"
DEMO_CONTRACT = """# Договор на оказание платных медицинских услуг (телемедицина)

1. Исполнитель оказывает Заказчику платную медицинскую услугу — консультацию врача с применением
телемедицинских технологий в выбранное Заказчиком время.

2. Стоимость услуги указана на странице записи и в квитанции. Оплата производится до срока, указанного
при записи; неоплаченная запись снимается.

3. Заказчик вправе отменить консультацию; при отмене не позднее чем за 2 часа до начала оплата
возвращается полностью.

4. Договор подписывается простой электронной подписью — одноразовым кодом, отправленным Заказчику."""


def load_payments_demo(session: Session) -> dict[str, int]:
    last, first, _ = DEMO_DOCTOR_NAME.split(" ")
    doctor = session.scalars(select(Doctor).where(Doctor.last_name == last, Doctor.first_name == first,
                                                  Doctor.user_id.is_not(None))).first()
    if doctor is None or not doctor.posts:
        return {"prices": 0}
    specialty_id = doctor.posts[0].specialty_id
    if prices.price_for(session, doctor.institution_id, specialty_id, ONLINE) is None:
        prices.set_price(session, actor_id=None, institution_id=doctor.institution_id, specialty_id=specialty_id,
                         kind=ONLINE, amount=DEMO_PRICE)
    contracts.publish(session, institution_id=doctor.institution_id, text=DEMO_CONTRACT, actor_id=None)
    return {"prices": 1}
