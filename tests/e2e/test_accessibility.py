"""The key pages for a patient on a phone, with a screen reader, in Russian or English.

axe-core (from the npm registry, package.json) is injected into each key page in Chromium and run with the
WCAG 2.0/2.1/2.2 A and AA rules; a serious or critical violation fails. The same pages at 360×740 must not
scroll sideways, and a screenshot of each at 360 px is kept in test-artifacts/screenshots/ (phone-*.png).
The demo data is loaded, plus enough to make pages wide: a patient inbox with 20 tasks and a doctor who
receives every day of the week. One browser, one login per person and language, each page loaded once
(the phone check resizes the same page).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.clock import now
from engine.composition import build_connectors
from engine.demo import demo_email
from engine.workflow import start_instance
from tests.e2e.conftest import ARTIFACTS, DEMO_PASSWORD, in_transaction
from tests.tasks.conftest import SYMPTOM_CHECK
from webui.tasks.core import actor_for
from webui.tasks.deploy import deploy_path

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")
INBOX_TASKS = 20
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 360, "height": 740}
PHONE_RULES = ["scrollable-region-focusable", "target-size", "meta-viewport"]


@dataclass
class Site:
    url: str
    pages: dict[str | None, list[tuple[str, str]]] = field(default_factory=dict)  # role -> [(name, path)]
    results: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # locale -> check -> problems


def _full_week(session) -> tuple[int, int, int]:
    """The demo doctor receives every day, morning to evening: a schedule as wide as a week gets."""
    from engine.accounts.service import find_by_email
    from engine.registry import schedules
    from engine.registry.models import FREE, Doctor, DoctorPost, Institution, ScheduleTemplate, Slot

    doctor = session.scalars(select(Doctor).where(Doctor.user_id == find_by_email(session, demo_email("doctor")).id)).one()
    post = session.scalars(select(DoctorPost).where(DoctorPost.doctor_id == doctor.id)).first()
    for weekday in range(7):
        session.add(ScheduleTemplate(post_id=post.id, weekday=weekday, start=time(8, 0), end=time(20, 0), slot_minutes=15,
                                     valid_from=now().date() - timedelta(days=7)))
    session.flush()
    institution = session.get(Institution, post.department.institution_id)
    schedules.generate_slots(session, institution, 2)
    session.flush()
    slot = session.scalars(select(Slot).where(Slot.post_id == post.id, Slot.starts_at > now(), Slot.status == FREE)
                           .order_by(Slot.starts_at)).first()
    return institution.id, post.id, slot.id


@pytest.fixture(scope="module")
def site(live_server) -> Site:
    from engine.accounts.service import find_by_email
    from engine.monitoring.dispatch import start_day
    from engine.monitoring.models import MonitoringPlan
    from webui.cli import _load_demo

    app = live_server.app
    sessions = app.extensions["carepath"].sessions
    connectors = build_connectors(live_server.settings)
    with app.app_context():
        _load_demo()
    deploy_path(sessions, SYMPTOM_CHECK, connectors)
    institution_id, post_id, slot_id = in_transaction(sessions, _full_week)
    with sessions() as session:
        patient = find_by_email(session, demo_email("patient"))
        actor, patient_id = actor_for(patient), patient.id
        plan_id = session.scalars(select(MonitoringPlan.id).where(MonitoringPlan.patient_id == patient_id)).first()
    model_id = _model_id(sessions)
    start_day(sessions, patient_id, now().date(), base_url=live_server.url, connectors=connectors)
    for _ in range(INBOX_TASKS):
        start_instance(sessions, model_id, actor, data={}, patient_id=patient_id, connectors=connectors)
    with sessions() as session:
        from engine.workflow import inbox

        task = inbox(session, actor, pathway=model_id, limit=1)[0]
    today = now().date().isoformat()
    site = Site(live_server.url)
    site.pages = {
        None: [("login", "/account/login"), ("registration", "/account/register")],
        "patient": [
            ("cabinet", "/cabinet/"), ("inbox-20-tasks", "/tasks/"),
            ("task-form", f"/tasks/{task.instance_id}/{task.task_guid}"),
            ("registry-search", "/registry/"), ("schedule-full-week", f"/registry/institutions/{institution_id}"),
            ("booking-times", f"/registry/posts/{post_id}/times"), ("booking", f"/registry/book/{slot_id}"),
            ("consultations", "/consultations/"), ("questionnaire", f"/monitoring/days/{today}"),
            ("rehab", "/rehab/"),
        ],
        "doctor": [("monitoring-list", "/monitoring/patients"), ("monitoring-chart", f"/monitoring/patients/{patient_id}"),
                   ("monitoring-plan-form", f"/monitoring/plans/{plan_id}"), ("doctor-inbox", "/tasks/")],
        "analyst": [("studio", "/studio/")],
        "admin": [("mailbox", "/admin/mailbox")],
    }
    return site


def _model_id(sessions) -> str:
    from engine.workflow.models import ProcessModel

    with sessions() as session:
        return session.scalars(select(ProcessModel.id).where(ProcessModel.id.like("%symptom%"))).one()


def _open_as(new_context, site: Site, role: str | None, locale: str):
    page = new_context(locale="ru-RU" if locale == "ru" else "en-US").new_page()
    page.goto(f"{site.url}/account/login")
    if role is not None:
        _log_in(page, site, role)
    # The switcher, as a person would: it outranks the account's own language for the session.
    page.locator(f"form.lang button[lang={locale}]").click()
    expect(page.locator("html")).to_have_attribute("lang", locale)
    return page


@functools.cache
def _axe_source() -> str:
    assert AXE.is_file(), "axe-core is missing: `make install` installs package.json's packages"
    return AXE.read_text(encoding="utf-8")


def _log_in(page, site: Site, role: str) -> None:
    page.goto(f"{site.url}/account/login")
    page.locator("#email").fill(demo_email(role))
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator("form[action$='/account/logout']")).to_have_count(1)


def _axe(page, rules: list[str] | None = None) -> list[str]:
    """axe's serious and critical violations: of the WCAG A/AA rules, or only of the `rules` named."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())  # evaluated by the test driver, so the pages' CSP (script-src 'self') stays on
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    found = page.evaluate("only => axe.run(document, {runOnly: only})", only)
    return [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in found["violations"] if v["impact"] in BLOCKING]


def _sideways(page) -> int:
    """How far the page scrolls sideways at this width (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _small_targets(page) -> list[str]:
    """WCAG 2.2 target size: every button, menu link and choice at least 24×24 px, primary buttons 44 px tall."""
    return page.evaluate("""() => {
      const out = [];
      const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 ? r : null; };
      document.querySelectorAll('button, .button, header nav a, input[type=radio], input[type=checkbox], select').forEach(el => {
        // A choice drawn by its label (the rating stars) is measured by that label.
        if (getComputedStyle(el).opacity === '0' && el.labels && el.labels.length) el = el.labels[0];
        const r = seen(el); if (!r || el.closest('[hidden]')) return;
        const primary = el.classList.contains('primary');
        if (r.width < 24 || r.height < 24 || (primary && r.height < 44))
          out.push(`${el.tagName.toLowerCase()}.${el.className} "${(el.textContent || el.name || '').trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
      });
      return out;
    }""")


def _audit(site: Site, new_context, locale: str) -> dict[str, list[str]]:
    if locale in site.results:
        return site.results[locale]
    problems: dict[str, list[str]] = {"axe": [], "sideways": [], "targets": []}
    for role, pages in site.pages.items():
        page = _open_as(new_context, site, role, locale)
        for name, path in pages:
            page.set_viewport_size(DESKTOP)
            response = page.goto(site.url + path)
            if response is None or response.status >= 400:
                problems["axe"].append(f"{name} ({locale}): {path} answered {response and response.status}")
            if not page.url.endswith(path):
                problems["axe"].append(f"{name} ({locale}): expected {path}, landed on {page.url}")
            problems["axe"] += [f"{name} ({locale}): {text}" for text in _axe(page)]
            page.set_viewport_size(PHONE)
            page.wait_for_function("document.documentElement.clientWidth === 360")
            if wide := _sideways(page):
                problems["sideways"].append(f"{name} ({locale}) scrolls {wide} px sideways at 360 px")
            problems["targets"] += [f"{name} ({locale}): {text}" for text in _small_targets(page)]
            # What only a narrow screen brings: boxes that scroll sideways, and crowded targets.
            problems["axe"] += [f"{name} ({locale}, 360 px): {text}" for text in _axe(page, PHONE_RULES)]
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"phone-{locale}-{name}.png"), full_page=True)
        page.context.close()
    site.results[locale] = problems
    return problems


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_key_pages_have_no_serious_or_critical_axe_violation(site, new_context, locale):
    problems = _audit(site, new_context, locale)["axe"]

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_key_pages_never_scroll_sideways_on_a_360_px_phone(site, new_context, locale):
    problems = _audit(site, new_context, locale)

    assert (ARTIFACTS / f"phone-{locale}-inbox-20-tasks.png").is_file()
    assert not problems["sideways"], "\n".join(problems["sideways"])


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_button_and_choice_is_big_enough_to_tap(site, new_context, locale):
    problems = _audit(site, new_context, locale)["targets"]

    assert not problems, "\n".join(problems)


def test_a_patient_on_a_phone_uses_the_menu_the_questionnaire_and_a_failed_login_by_keyboard(site, new_context):
    page = new_context(locale="ru-RU").new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{site.url}/account/login")
    page.locator("#email").fill(demo_email("patient"))
    page.locator("#password").fill("not the password")
    page.keyboard.press("Enter")
    # The focus is on the field to retype, which says what went wrong.
    expect(page.locator("#password")).to_be_focused()
    expect(page.locator("#password-error")).to_be_visible()
    page.locator("#password").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("form[action$='/account/logout']")).to_have_count(1)
    # The header switch is the person's language everywhere (it is stored in the profile), and the pages
    # walked before may have left this account in English: choose Russian as a person would.
    page.locator("form.lang button[lang=ru]").click()

    toggle = page.get_by_role("button", name="Меню")
    expect(toggle).to_be_visible()
    expect(page.get_by_role("link", name="Мои задачи", exact=True)).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    tasks_link = page.get_by_role("link", name="Мои задачи", exact=True)
    assert tasks_link.bounding_box()["height"] >= 44
    tasks_link.click()
    expect(page.get_by_role("link", name="Подать новое обращение")).to_be_visible()

    page.goto(f"{site.url}/monitoring/days/{now().date().isoformat()}")
    first = page.locator("input[inputmode=decimal]").first
    first.fill("120")
    first.press("Enter")  # a half-filled day is not sent by one key
    page.wait_for_timeout(300)
    expect(page.get_by_role("button", name="Отправить данные")).to_be_visible()
    assert "/monitoring/days/" in page.url and page.locator(".flash").count() == 0
    slider = page.locator("input[type=range]").first
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("output.cp-range-value").first).to_have_text("3")
    # Each answer's circle sits on its label's row, left of the words.
    radio = page.locator("input[type=radio]").first
    label = radio.locator("xpath=..")
    box, row = radio.bounding_box(), label.bounding_box()
    assert box["width"] <= 30 and row["y"] <= box["y"] <= row["y"] + row["height"] - box["height"] + 1
    page.screenshot(path=str(ARTIFACTS / "phone-ru-questionnaire-in-use.png"), full_page=True)


def test_the_questionnaire_task_leads_to_its_page_not_to_mark_as_done(site, new_context):
    page = new_context(locale="ru-RU").new_page()
    _log_in(page, site, "patient")
    page.goto(f"{site.url}/tasks/")
    link = page.locator("table.cp-inbox a", has_text=re.compile("опросник", re.I)).first
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(re.compile(r"/monitoring/days/\d{4}-\d\d-\d\d$"))
    expect(page.get_by_role("button", name="Отметить как выполненное")).to_have_count(0)
