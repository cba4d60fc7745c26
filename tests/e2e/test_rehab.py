"""Browser journey of a rehab course: the doctor attaches the instructor, the instructor plans a class
and a video, the patient sees "Join class" inside the join window and the recommendations."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e import demo_setup
from tests.e2e.demo_setup import attach_instructor, instructor_on_course, login, plan_class

pytestmark = pytest.mark.e2e
rehab_server = demo_setup.rehab_server  # the shared fixture, used by name


def test_the_patient_joins_a_planned_class_in_its_window_and_finds_the_recommended_video(rehab_server, new_context):
    base = rehab_server.url
    attach_instructor(new_context, base, "After knee surgery")

    patient = new_context().new_page()
    login(patient, base, "patient@example.org")
    patient.goto(f"{base}/rehab/")
    assert patient.get_by_text("No classes are planned yet.").is_visible()

    instructor = instructor_on_course(new_context, base, "After knee surgery")
    moscow = datetime.now(ZoneInfo("Europe/Moscow"))
    soon, later = moscow + timedelta(minutes=5), moscow + timedelta(days=2)
    for when, title in ((soon, "Breathing and balance"), (later, "Knee mobility")):
        plan_class(instructor, title, when)
    video = instructor.locator("form", has=instructor.get_by_role("button", name="Recommend"))
    video.get_by_label("Title").fill("Morning knee exercises")
    video.get_by_label("Description").fill("Ten minutes every morning, slowly.")
    video.get_by_label("Video link").fill("https://video.example/knee-morning")
    video.get_by_role("button", name="Recommend").click()
    assert instructor.get_by_text("The video is recommended.").is_visible()
    rehab_server.screenshot(instructor, "rehab_instructor_course")

    patient.reload()
    rows = patient.locator(".class-row")
    assert rows.count() == 2
    first, second = rows.nth(0), rows.nth(1)
    assert "Breathing and balance" in first.inner_text()
    join = first.get_by_role("link", name="Join class")
    assert join.is_visible(), "the class starts in 5 minutes: inside the 10-minute window"
    assert second.get_by_role("link", name="Join class").count() == 0, "the class in two days is not open yet"
    assert "appears 10 minutes before the start" in second.inner_text()
    href = join.get_attribute("href")
    rehab_server.screenshot(patient, "rehab_patient_assignments")

    # The join link leads to the meeting room of this class (not followed: the room is on the internet).
    response = patient.request.get(f"{base}{href}", max_redirects=0)
    assert response.status == 302 and response.headers["location"].startswith(rehab_server.settings.video_base_url)

    patient.get_by_role("link", name="Go to recommendations").click()
    exercises = patient.locator("section", has=patient.get_by_role("heading", name="Exercises"))
    assert exercises.get_by_role("link", name="Morning knee exercises").is_visible()
    assert "Ten minutes every morning" in exercises.inner_text()
    assert patient.get_by_role("heading", name="Useful information").is_visible()
    rehab_server.screenshot(patient, "rehab_patient_recommendations")
