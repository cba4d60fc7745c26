"""Referral import fixtures: a manager, the stand-in `consultation_referral` deployed, and tables
written as regional offices write them (Windows-1251 + semicolons, UTF-8 + commas, XLSX)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.accounts.models import ACTIVE, User, UserRole
from engine.composition import build_connectors
from engine.db import transaction
from engine.referrals import service
from engine.referrals.parse import TEMPLATE_HEADERS
from engine.workflow import ConnectorRegistry, sync_folder

STUB = Path(__file__).resolve().parents[1] / "data" / "referral_stub"
RU = TEMPLATE_HEADERS["ru"]

# Valid SNILS numbers (check digits computed by the rule in engine.accounts.validation).
SNILS = ("112-233-445 95", "123-456-789 64", "111-222-333 45")
ROWS = [
    ("Иванова", "Анна", "Сергеевна", "12.03.1961", "Ж", "8 (912) 345-67-89", "anna@example.ru", SNILS[0], "",
     "C50.9", "Рак молочной железы", "Областная больница", "Петров П. П.", "Онкология", ""),
    ("Сидоров", "Олег", "", "1955-07-01", "М", "+7 912 111-22-33", "oleg@example.ru", SNILS[1], "",
     "I10", "Гипертензия", "Областная больница", "Петров П. П.", "Кардиология", "срочно"),
    ("Кузнецова", "Вера", "Ивановна", "02.02.1970", "ж", "9121112234", "vera@example.ru", "", "1234567890123456",
     "E11.9", "Диабет", "Областная больница", "Петров П. П.", "Эндокринология", ""),
]  # fmt: skip
BAD_ROWS = [
    ('=HYPERLINK("http://evil.example","click")', "Пётр", "", "31.02.1960", "М", "12", "not-an-email", "", "",
     "C5O.9", "", "", "", "Онкология", ""),
    ("Морозов", "Иван", "", "", "М", "", "ivan@example.ru", "", "", "X", "", "", "", "", ""),
]  # fmt: skip


def csv_table(rows=ROWS, *, header=RU, delimiter=";", encoding="cp1251") -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_table(rows=ROWS, header=TEMPLATE_HEADERS["en"]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def connectors() -> ConnectorRegistry:
    return build_connectors()


@pytest.fixture
def stub(sessions: sessionmaker[Session], connectors: ConnectorRegistry) -> None:
    result = sync_folder(sessions, STUB, connectors=connectors)
    assert not result.failed, result.failed


def make_staff(sessions, email: str, *roles: str) -> User:
    with transaction(sessions) as session:
        user = User(email=email, last_name="Попов", first_name="Дмитрий", status=ACTIVE, locale="en")
        user.roles = [UserRole(role=r) for r in roles]
        session.add(user)
    return user


@pytest.fixture
def manager(sessions) -> User:
    return make_staff(sessions, "manager@test.org", "manager")


def preview(sessions, manager: User, content: bytes, filename: str = "table.csv") -> int:
    with transaction(sessions) as session:
        batch = service.create_preview(session, session.get(User, manager.id), filename, content,
                                       base_url="http://carepath.test")  # fmt: skip
        return batch.id


def import_file(sessions, connectors, manager: User, content: bytes, **kwargs) -> tuple[int, dict[str, int]]:
    import_id = preview(sessions, manager, content)
    with transaction(sessions) as session:
        service.queue_import(session, session.get(User, manager.id), import_id)
    return import_id, service.run_import(sessions, import_id, connectors=connectors, sms=kwargs.pop("sms", False), **kwargs)


def count(sessions, model, *where) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
