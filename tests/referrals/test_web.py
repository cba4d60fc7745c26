"""The pages: who may open them, the template, a bad upload, and the admin's outbox with "retry now"."""

from __future__ import annotations

import io

from engine import outbox
from engine.db import transaction
from tests.webui import conftest as webui_fixtures
from tests.webui.conftest import login, make_user

from .conftest import csv_table

# The web app and cast of tests/webui, shared here (fixtures are found by name).
app, cast, client, settings = webui_fixtures.app, webui_fixtures.cast, webui_fixtures.client, webui_fixtures.settings



def test_patients_and_doctors_cannot_open_the_import_page_and_a_foreign_import_is_not_found(app, client, cast):
    login(client, cast.patient.email)
    assert client.get("/referrals/").status_code == 403
    manager = make_user(app, "m1@test.org", "manager")
    make_user(app, "m2@test.org", "manager")
    client.post("/account/logout")
    login(client, manager.email)
    response = client.post("/referrals/", data={"table": (io.BytesIO(csv_table()), "t.csv")},
                           content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert response.status_code == 200 and "Rows: 3; without errors: 3" in response.get_data(as_text=True)
    client.post("/account/logout")
    login(client, "m2@test.org")
    assert client.get("/referrals/1").status_code == 404
    assert client.get("/referrals/1/report.csv").status_code == 404


def test_a_binary_file_renamed_csv_gets_a_clear_message_and_stores_nothing(app, client):
    make_user(app, "m1@test.org", "manager")
    login(client, "m1@test.org")
    response = client.post("/referrals/", data={"table": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00" * 50), "x.csv")},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 400
    assert "This file is not a table: upload a CSV or XLSX file." in response.get_data(as_text=True)
    assert "No imports yet." in response.get_data(as_text=True)


def test_the_template_downloads_in_both_languages(app, client):
    make_user(app, "m1@test.org", "manager")
    login(client, "m1@test.org")
    ru = client.get("/referrals/template-ru.csv").get_data().decode("utf-8-sig")
    en = client.get("/referrals/template-en.csv").get_data().decode("utf-8-sig")
    assert ru.startswith("Фамилия;Имя;Отчество;Дата рождения") and en.startswith("Surname;First name;Patronymic")


def test_an_admin_sees_failed_messages_with_their_errors_and_retries_one(app, client, cast):
    with transaction(app.extensions["carepath"].sessions) as session:
        row = outbox.enqueue(session, kind="confirm_email", to="x@example.org", locale="en",
                             context={"name": "X", "link": "l", "expires_hours": 1})  # fmt: skip
        row.status, row.attempts, row.last_error = outbox.FAILED, 5, "550 mailbox unavailable"
        session.add(outbox.DeliveryAttempt(message_id=row.id, at=row.created_at, ok=False,
                                           error="550 mailbox unavailable", duration_ms=12))  # fmt: skip
        message_id = row.id
    login(client, cast.patient.email)
    assert client.get("/admin/outbox/").status_code == 403
    client.post("/account/logout")
    login(client, cast.admin.email)

    page = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "x@example.org" in page and "550 mailbox unavailable" in page
    detail = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Retry now" in detail and "550 mailbox unavailable" in detail
    response = client.post(f"/admin/outbox/{message_id}/retry", follow_redirects=True)

    assert "The message will be sent again within a few seconds." in response.get_data(as_text=True)
    with app.extensions["carepath"].sessions() as session:
        row = session.get(outbox.OutboxMessage, message_id)
        assert (row.status, row.attempts) == (outbox.QUEUED, 0)


def test_the_column_step_page_lists_the_files_headers_and_its_choice_makes_the_preview(app, client):
    from .human_tables import RECORDS
    from .test_columns import CHOICE, UNKNOWN, table_bytes

    make_user(app, "m1@test.org", "manager")
    make_user(app, "m2@test.org", "manager")
    login(client, "m1@test.org")
    bad = [dict(RECORDS[0], birth_date="31.02.1970"), RECORDS[1], RECORDS[2]]
    response = client.post("/referrals/", data={"table": (io.BytesIO(table_bytes(UNKNOWN, bad)), "region.csv")},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("/referrals/1")
    page = client.get("/referrals/1", follow_redirects=True).get_data(as_text=True)
    assert "Some columns were not recognised: Date of birth, Target specialty or center." in page
    assert '<label for="column-2">Родился</label>' in page and "Онкология" in page  # the first rows, to recognise it

    twice = client.post("/referrals/1/columns", data={f"column-{i}": f for i, f in (CHOICE | {9: "first_name"}).items()})
    assert twice.status_code == 400 and "Each field can be given to one column only." in twice.get_data(as_text=True)
    response = client.post("/referrals/1/columns", data={f"column-{i}": f for i, f in CHOICE.items()}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Rows: 3; without errors: 2; with errors: 1." in page
    assert "Date of birth: there is no such date: 31.02.1970." in page
    assert "Malignant neoplasm: Breast, unspecified" in page  # C50.9, its catalogue title beside it
    assert "Columns not imported:" in page and "<li>Возраст</li>" in page
    errors = client.get("/referrals/1/errors.csv")
    assert errors.status_code == 200 and "31.02.1970" in errors.get_data().decode("utf-8-sig")

    client.post("/account/logout")
    login(client, "m2@test.org")
    assert client.get("/referrals/1/columns").status_code == 404
    assert client.post("/referrals/1/columns", data={"column-0": "last_name"}).status_code == 404
    assert client.get("/referrals/1/errors.csv").status_code == 404


def test_the_templates_example_passes_its_own_check_and_an_unknown_target_is_refused(app, client):
    from engine.referrals.models import ReferralRow
    from engine.registry.demo import load_registry_demo

    sessions = app.extensions["carepath"].sessions
    with transaction(sessions) as session:
        load_registry_demo(session, weeks=1)
    make_user(app, "m1@test.org", "manager")
    login(client, "m1@test.org")
    for lang in ("ru", "en"):
        response = client.get(f"/referrals/template-{lang}.csv")
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        template = response.get_data()
        page = client.post("/referrals/", data={"table": (io.BytesIO(template), f"t-{lang}.csv")},
                           content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
        assert "Rows: 1; without errors: 1" in page, lang
    # The same example aimed at a specialty nobody knows: refused with a clear message.
    text = client.get("/referrals/template-ru.csv").get_data().decode("utf-8-sig")
    header, example = text.strip().splitlines()
    cells = example.split(";")
    cells[13] = "Неизвестно"
    bad = (header + "\n" + ";".join(cells) + "\n").encode("utf-8-sig")
    page = client.post("/referrals/", data={"table": (io.BytesIO(bad), "bad.csv")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Rows: 1; without errors: 0" in page
    with sessions() as session:
        from sqlalchemy import select

        errors = session.scalars(select(ReferralRow.errors).order_by(ReferralRow.id.desc())).first()
    assert "No specialty or consultation center with this name is known" in str(errors["target"])
