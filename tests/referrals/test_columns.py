"""The column step: a table whose required column is not recognised is kept unchecked until the manager
says which column is which; the choice is remembered for the institution and the header set, so the next
table from there is read without asking. The rows with errors go back to the region as a file."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from engine.accounts.models import User
from engine.db import transaction
from engine.i18n import UserError
from engine.outbox import OutboxMessage
from engine.referrals import models as m
from engine.referrals import service
from engine.referrals.models import ReferralColumnMapping, ReferralImport
from engine.referrals.parse import TableError
from engine.referrals.report import error_rows_csv
from engine.workflow.models import ProcessInstance

from .conftest import count, make_staff
from .human_tables import RECORDS, Style, table_bytes

# «Родился» and «Консультация» name nothing the import knows: birth date and target must be chosen.
UNKNOWN = Style("unknown words", (
    ("Фамилия", "last_name"), ("Имя", "first_name"), ("Родился", "birth_date"), ("Эл. почта", "email"),
    ("Тел.", "phone"), ("МКБ", "diagnosis_code"), ("Диагноз", "diagnosis_text"), ("Консультация", "target"),
    ("Направившее ЛПУ", "institution"), ("Возраст", None),
))  # fmt: skip
CHOICE = {0: "last_name", 1: "first_name", 2: "birth_date", 3: "email", 4: "phone", 5: "diagnosis_code",
          6: "diagnosis_text", 7: "target", 8: "institution"}  # fmt: skip


def load(sessions, import_id: int) -> ReferralImport:
    with sessions() as session:
        return session.get(ReferralImport, import_id)


def upload(sessions, manager, content: bytes, name: str = "region.csv") -> ReferralImport:
    with transaction(sessions) as session:
        batch = service.create_preview(session, session.get(User, manager.id), name, content,
                                       base_url="http://carepath.test", ask_columns=True)  # fmt: skip
        import_id = batch.id
    return load(sessions, import_id)


def choose(sessions, user, import_id: int, choice: dict[int, str]) -> ReferralImport:
    with transaction(sessions) as session:
        service.set_columns(session, session.get(User, user.id), import_id, choice)
    return load(sessions, import_id)


def test_a_table_with_an_unrecognised_required_column_waits_for_the_manager_and_stores_nothing_else(sessions, manager):
    batch = upload(sessions, manager, table_bytes(UNKNOWN))

    assert (batch.status, batch.total, batch.valid) == (m.COLUMNS, 3, 0)
    assert batch.headers[2] == "Родился" and "2" not in batch.columns and batch.columns["0"] == "last_name"
    with sessions() as session:
        assert service.table_of(session, batch).missing == ["birth_date", "target"]
        assert count(sessions, User) == 1
    with transaction(sessions) as session, pytest.raises(Exception) as refused:
        service.queue_import(session, session.get(User, manager.id), batch.id)
    assert refused.value.message == "Say which column is which first."


def test_the_command_line_still_refuses_such_a_table_naming_the_columns(sessions, manager):
    with transaction(sessions) as session, pytest.raises(TableError) as refused:
        service.create_preview(session, session.get(User, manager.id), "t.csv", table_bytes(UNKNOWN), base_url="")
    assert "Дата рождения / Date of birth" in str(refused.value)


def test_the_managers_choice_checks_the_rows_and_the_next_table_from_there_needs_no_choosing(sessions, stub, connectors, manager):
    first = upload(sessions, manager, table_bytes(UNKNOWN, fmt="cp1251;"))
    chosen = choose(sessions, manager, first.id, CHOICE)

    assert (chosen.status, chosen.valid) == (m.PREVIEW, 3)
    with sessions() as session:
        [anna] = service.rows_of(session, first.id, limit=1)
        assert anna.values["birth_date"] == "1961-03-12" and anna.values["target"] == "Онкология"
        keys = sorted(r.key.split(":")[0] for r in session.scalars(select(ReferralColumnMapping)))
    assert keys == ["headers", "institution"]

    # The same headers in another order, as UTF-8 with commas, from another manager: read at once.
    reordered = Style("same, reordered", tuple(reversed(UNKNOWN.columns)))
    other = make_staff(sessions, "second-manager@test.org", "manager")
    second = upload(sessions, other, table_bytes(reordered, fmt="utf-8,"))
    assert (second.status, second.valid) == (m.PREVIEW, 3)

    # The same institution with a column added and one renamed: its remembered choice still applies.
    changed = Style("same institution", UNKNOWN.columns[:-1] + (("Примечание", "comment"), ("Дата направления", None)))
    third = upload(sessions, manager, table_bytes(changed, fmt="xlsx"), "region.xlsx")
    assert (third.status, third.valid) == (m.PREVIEW, 3)
    assert third.columns["9"] == "comment"

    # Importing twice creates nothing the second time.
    for batch in (first, second):
        with transaction(sessions) as session:
            service.queue_import(session, session.get(User, manager.id if batch is first else other.id), batch.id)
        counts = service.run_import(sessions, batch.id, connectors=connectors, sms=False)
        if batch is first:
            assert counts["started"] == 3
            before = (count(sessions, User), count(sessions, OutboxMessage), count(sessions, ProcessInstance))
    assert (counts["created"], counts["started"], counts["skipped"]) == (0, 0, 3)
    assert (count(sessions, User), count(sessions, OutboxMessage), count(sessions, ProcessInstance)) == before


def test_a_choice_that_gives_a_field_twice_or_leaves_one_out_changes_nothing(sessions, manager):
    batch = upload(sessions, manager, table_bytes(UNKNOWN))

    with pytest.raises(UserError) as twice:
        choose(sessions, manager, batch.id, CHOICE | {9: "last_name"})
    assert twice.value.message == "Each field can be given to one column only."
    with pytest.raises(TableError) as missing:
        choose(sessions, manager, batch.id, {i: f for i, f in CHOICE.items() if f != "target"})
    assert "Специальность или центр / Target specialty or center" in str(missing.value)
    with pytest.raises(UserError):
        choose(sessions, manager, batch.id, CHOICE | {9: "password_hash"})
    with sessions() as session:
        assert session.get(ReferralImport, batch.id).status == m.COLUMNS
        assert session.scalar(select(ReferralColumnMapping)) is None


def test_another_manager_cannot_choose_the_columns_of_an_import(sessions, manager):
    batch = upload(sessions, manager, table_bytes(UNKNOWN))
    other = make_staff(sessions, "other@test.org", "manager")

    with pytest.raises(UserError) as refused:
        choose(sessions, other, batch.id, CHOICE)
    assert refused.value.status == 404


def test_the_rows_with_errors_go_back_as_the_region_wrote_them_with_what_is_wrong(sessions, manager):
    bad = [dict(RECORDS[0], last_name="=Смирнова", birth_date="31.02.1970", diagnosis_code="Z99", diagnosis_text=""),
           RECORDS[1], dict(RECORDS[2], email="", phone="")]  # fmt: skip
    batch = upload(sessions, manager, table_bytes(UNKNOWN, bad))
    batch = choose(sessions, manager, batch.id, CHOICE)

    with sessions() as session:
        text = error_rows_csv(session, session.get(ReferralImport, batch.id))
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert lines[0] == [h for h, _ in UNKNOWN.columns] + ["What is wrong"]
    assert [line[0] for line in lines[1:]] == ["'=Смирнова", "Кузнецова"]  # escaped, never a formula
    assert lines[1][2] == "31.02.1970" and lines[1][9] == "64"  # every column, extra ones too
    assert lines[1][-1] == ("Date of birth: there is no such date: 31.02.1970; Diagnosis: Z99 alone does not say the "
                            "diagnosis (a heading, “other” or “unspecified”): write it in words.")  # fmt: skip
    assert lines[2][-1] == "There is no way to reach the patient: give a mobile phone or an email."

    # The region corrects the file and sends it back: it reads as typed, the apostrophe gone.
    fixed = text.replace("31.02.1970", "28.02.1970").replace(";Z99;", ";Z99;Зависимость от аппарата ИВЛ")
    again = upload(sessions, manager, fixed.encode("utf-8-sig"))
    with sessions() as session:
        first = service.rows_of(session, again.id, limit=1)[0]
    assert first.values["last_name"] == "=Смирнова" and first.status == m.PENDING
