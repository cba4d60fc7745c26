"""Demo accounts, one per role, so a fresh `make run` can be tried at once."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from engine import roles
from engine.accounts import service
from engine.accounts.models import ACTIVE, User, UserRole
from engine.clock import now

DEMO_PEOPLE = (
    (roles.PATIENT, "Иванова", "Мария", "Петровна", date(1968, 4, 12)),
    (roles.DOCTOR, "Смирнов", "Алексей", "Викторович", date(1979, 9, 3)),
    (roles.INSTRUCTOR, "Кузнецова", "Ольга", "Сергеевна", date(1988, 1, 25)),
    (roles.MANAGER, "Попов", "Дмитрий", "Андреевич", date(1983, 6, 17)),
    (roles.ANALYST, "Соколова", "Елена", "Игоревна", date(1990, 11, 8)),
    (roles.ADMIN, "Морозов", "Игорь", "Николаевич", date(1975, 2, 28)),
)


def demo_email(role: str) -> str:
    return f"{role}@example.org"


def ensure_demo_accounts(session: Session, password: str) -> list[User]:
    """Create the demo accounts or reset their password; the caller commits."""
    users = []
    for role, last, first, middle, born in DEMO_PEOPLE:
        user = service.find_by_email(session, demo_email(role))
        if user is None:
            user = User(email=demo_email(role), last_name=last, first_name=first, patronymic=middle,
                        birth_date=born, status=ACTIVE, email_confirmed_at=now(), created_at=now(), locale="ru")
            user.roles = [UserRole(role=role)]
            session.add(user)
        user.password_hash = service.hash_password(password)
        users.append(user)
    session.flush()
    return users


def load_demo(session: Session, password: str) -> None:
    """Everything `carepath demo` and `carepath run` show a new user: accounts first, since the domain
    demos attach to them (the demo doctor works in a registry institution, and so on)."""
    from engine.consultations.demo import load_consultations_demo
    from engine.infopages.demo import load_infopages_demo
    from engine.monitoring.demo import load_monitoring_demo
    from engine.payments.demo import load_payments_demo
    from engine.registry.demo import load_registry_demo

    people = {user.email: user for user in ensure_demo_accounts(session, password)}
    session.flush()
    load_infopages_demo(session, people[demo_email(roles.MANAGER)])
    load_registry_demo(session)
    session.flush()
    load_consultations_demo(session)
    session.flush()
    load_payments_demo(session)  # a priced online consultation and its contract (engine/payments)
    session.flush()
    load_monitoring_demo(session)
