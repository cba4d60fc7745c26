"""Information pages: a manager writes a page in both languages; it shows in the menu and is linked from
the pages it concerns, in the reader's language; Markdown is sanitized; each save is a version with who
changed what; bad input says why and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEntry
from engine.db import transaction
from engine.infopages.models import InfoPageVersion
from engine.registry.models import Institution, Locality
from tests.webui.conftest import login, make_user

BOOKING = {
    "slug": "how-to-book", "in_menu": "on", "position": "1",
    "title_ru": "Как записаться на приём",
    "body_ru": "1. Выберите **медицинскую организацию**.\n2. Выберите врача и время.\n\n"
               "Телефон колл-центра: [8 800 100-00-00](tel:+78001000000)",
    "title_en": "How to book an appointment",
    "body_en": "1. Choose the **medical institution**.\n2. Choose the doctor and the time.\n\n"
               "<script>alert('x')</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>",
}


@pytest.fixture
def manager(app, client):
    make_user(app, "manager@test.org", "manager", last_name="Smirnova", first_name="Olga")
    login(client, "manager@test.org")


def versions(app) -> list[InfoPageVersion]:
    with transaction(app.extensions["carepath"].sessions) as session:
        return list(session.scalars(select(InfoPageVersion).order_by(InfoPageVersion.id)))


def as_reader(app, language: str):
    reader = app.test_client()
    reader.post(f"/lang/{language}", data={"next": "/"})
    return reader


def test_a_page_written_in_both_languages_shows_in_each_in_the_menu_and_from_the_booking_page(app, client, manager):
    with transaction(app.extensions["carepath"].sessions) as session:  # the registry needs a place to book in
        session.add(Institution(locality=Locality(name="Khanty-Mansiysk"), name="City polyclinic"))
    created = client.post("/info/manage/new", data=BOOKING)

    english, russian = as_reader(app, "en"), as_reader(app, "ru")
    page_en, page_ru = english.get("/info/how-to-book").text, russian.get("/info/how-to-book").text
    registry_ru = russian.get("/registry/").text

    assert created.status_code == 302 and created.headers["Location"].endswith("/info/how-to-book")
    assert "<h1>How to book an appointment</h1>" in page_en and "<strong>medical institution</strong>" in page_en
    assert "<h1>Как записаться на приём</h1>" in page_ru and "<strong>медицинскую организацию</strong>" in page_ru
    assert '<a href="tel:+78001000000">8 800 100-00-00</a>' in page_ru
    assert 'class="info-link">Как записаться на приём</a>' in registry_ru  # in the menu
    assert 'id="how-to-book-link"' in registry_ru  # and from the page it concerns
    # Sanitized: no script, no javascript: link, no image with a handler.
    body = page_en.split('<div class="info-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and "javascript:" not in body and "onerror" not in body and "<img" not in body
    assert "<li>Choose the <strong>medical institution</strong>.</li>" in body


def test_each_save_is_a_version_with_who_and_what_changed(app, client, manager):
    client.post("/info/manage/new", data=BOOKING)
    changed = {**BOOKING, "body_en": "1. Choose the **medical institution**.\n2. Choose a free time."}

    saved = client.post("/info/manage/how-to-book/edit", data=changed, follow_redirects=True)
    same = client.post("/info/manage/how-to-book/edit", data=changed, follow_redirects=True)
    history = client.get("/info/manage/how-to-book/history").text

    assert "Version 2 is published." in saved.text and "Nothing changed." in same.text
    assert [v.number for v in versions(app)] == [1, 2]
    assert "Smirnova Olga" in history and "Version 2" in history
    assert "+2. Choose a free time." in history and "-2. Choose the doctor and the time." in history
    assert as_reader(app, "en").get("/info/how-to-book").text.count("Choose a free time") == 1
    with transaction(app.extensions["carepath"].sessions) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "info_page_changed")
                                  .order_by(AuditEntry.id)).all()
    assert [e.details.get("version") for e in entries] == [1, 2] and entries[1].details["fields"] == ["body_en"]


@pytest.mark.parametrize(("change", "says"), [
    ({"slug": "Bad Slug!"}, "The page address may have Latin letters, digits and hyphens"),
    ({"title_en": "  "}, "Please fill in: Title in English."),
    ({"body_ru": ""}, "Please fill in: Text in Russian."),
    ({"body_en": "x" * 20001}, "Text in English is too long: at most 20000 characters."),
])
def test_bad_input_is_explained_and_nothing_is_published(app, client, manager, change, says):
    response = client.post("/info/manage/new", data={**BOOKING, **change})

    assert response.status_code == 400 and says in response.text
    assert versions(app) == []


def test_a_second_page_at_the_same_address_is_refused(app, client, manager):
    client.post("/info/manage/new", data=BOOKING)

    again = client.post("/info/manage/new", data={**BOOKING, "title_en": "Other"})

    assert again.status_code == 400 and "A page with this address already exists." in again.text
    assert len(versions(app)) == 1


def test_only_managers_edit_and_a_missing_page_is_404(app, client, cast):
    login(client, cast.patient.email)

    assert client.post("/info/manage/new", data=BOOKING).status_code == 403
    assert client.get("/info/manage").status_code == 403
    assert client.get("/info/no-such-page").status_code == 404
    assert versions(app) == []
