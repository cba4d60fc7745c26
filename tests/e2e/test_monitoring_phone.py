"""The doctor's monitoring page on a phone (360 px) in Russian: the charts fit the screen without a
sideways scroll, their axis labels and threshold labels are drawn at a readable size (not a 640-wide
drawing shrunk to half), the legend wraps, and the latest value is written out («71,8 кг»)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.accounts.models import User
from engine.monitoring.demo import load_monitoring_demo
from tests.e2e.conftest import DEMO_PASSWORD, in_transaction
from tests.e2e.test_account_journey import login

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 740}
SMALLEST_TEXT_PX = 11  # a chart's labels as a person reads them on the phone's screen


def _russian_doctor(session) -> None:
    load_monitoring_demo(session)
    session.scalars(select(User).where(User.email == "doctor@example.org")).one().locale = "ru"


def _chart_text_sizes(page) -> list[float]:
    """The rendered size in CSS px of each label of the visible charts: font-size in the drawing's units
    times the drawing's scale on the screen."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('svg.cp-chart'))
        .filter(svg => svg.getBoundingClientRect().width > 0)
        .flatMap(svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return Array.from(svg.querySelectorAll('text'))
                .map(t => parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize) * scale);
        })""")


def test_the_charts_are_readable_on_a_phone_in_russian(live_server, new_context):
    base = live_server.url
    in_transaction(live_server.app.extensions["carepath"].sessions, _russian_doctor)
    doctor = new_context().new_page()  # signs in on the English form; the profile then says Russian
    login(doctor, base, "doctor@example.org", DEMO_PASSWORD)
    doctor.set_viewport_size(PHONE)
    doctor.goto(f"{base}/monitoring/patients")
    doctor.locator("table.cp-monitored a").first.click()
    expect(doctor.locator("figure.cp-figure").first).to_be_visible()
    doctor.wait_for_load_state("load")
    live_server.screenshot(doctor, "monitoring-phone-ru")

    sideways = doctor.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways == 0
    sizes = _chart_text_sizes(doctor)
    assert sizes and min(sizes) >= SMALLEST_TEXT_PX, sizes
    for figure in doctor.locator("figure.cp-figure").all():
        box = figure.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    page = doctor.content()
    assert re.search(r"последнее значение: 71,\d\s*кг", page, re.I), "the latest weight written out"
    assert not re.search(r">\s*7\d\.\d\s*<", page)  # no «71.8» in a label
