"""At 360 px, in Russian, every link and button of a key page's main content is big enough for a finger.

WCAG 2.2 (2.5.8) asks at least 24×24 CSS px of every target, except a link inside a sentence, whose size is
the line's; the shared CSS aims at 44 px (2.5.5) for the links and buttons people use to move around. The
check measures the bounding boxes in Chromium at 360×740: the patient's cabinet, the registry with its
submenu, the consultations; an administrator's list of pathways in progress and of outgoing messages (which
must also fit the width and head its number column «№»). Screenshots: test-artifacts/screenshots/tap-*.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.demo import demo_email
from tests.e2e.conftest import ARTIFACTS, DEMO_PASSWORD

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 740}
MINIMUM = 24
PAGES = {
    "patient": ["/cabinet/", "/registry/", "/registry/institutions", "/consultations/", "/consultations/apply",
                "/consultations/duty"],
    "admin": ["/instances/", "/admin/outbox"],
}
# Targets of the main content smaller than MINIMUM either way. A link whose parent also holds words of its
# own (letters or digits, not a separator such as «·») is inside a sentence: WCAG's inline exception.
SMALL_TARGETS = """min => {
  const out = [];
  const words = /[\\p{L}\\p{N}]/u;
  const inSentence = el => el.tagName === 'A' && Array.from(el.parentElement.childNodes)
      .some(n => n.nodeType === Node.TEXT_NODE && words.test(n.textContent));
  document.querySelectorAll('main a[href], main button, main select, main summary, main input:not([type=hidden])')
    .forEach(el => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || el.closest('[hidden], .visually-hidden, .cp-visually-hidden')) return;
      if (getComputedStyle(el).opacity === '0') return;  // a choice drawn by its label (rating stars)
      if (inSentence(el)) return;
      if (r.width < min || r.height < min)
        out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" `
                 + `${Math.round(r.width)}×${Math.round(r.height)}`);
    });
  return out;
}"""


@pytest.fixture(scope="module")
def demo_site(live_server) -> str:
    from webui.cli import _load_demo

    with live_server.app.app_context():
        _load_demo()
    return live_server.url


def _russian_phone(new_context, url: str, role: str):
    page = new_context(locale="ru-RU").new_page()
    page.goto(f"{url}/account/login")
    page.locator("#email").fill(demo_email(role))
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator("form[action$='/account/logout']")).to_have_count(1)
    page.locator("form.lang button[lang=ru]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.set_viewport_size(PHONE)
    return page


def _open(page, url: str, path: str, shot: str) -> None:
    response = page.goto(url + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    page.wait_for_load_state("load")  # measured with the stylesheets applied
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tap-{shot}.png"), full_page=True)


def test_links_and_buttons_of_key_pages_are_big_enough_to_tap_at_360_px(demo_site, new_context):
    problems = []
    for role, paths in PAGES.items():
        page = _russian_phone(new_context, demo_site, role)
        for path in paths:
            _open(page, demo_site, path, f"{role}-{path.strip('/').replace('/', '-') or 'home'}")
            problems += [f"{path}: {text}" for text in page.evaluate(SMALL_TARGETS, MINIMUM)]
        page.context.close()

    assert not problems, "Targets under 24×24 px at 360 px:\n" + "\n".join(problems)


def test_the_registry_submenu_and_the_pathway_list_links_are_44_px(demo_site, new_context):
    page = _russian_phone(new_context, demo_site, "admin")
    _open(page, demo_site, "/instances/", "admin-instances-44")
    number = page.locator("main table tbody td:first-child a").first
    expect(number).to_be_visible()
    box = number.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box
    _open(page, demo_site, "/registry/", "admin-registry-44")
    heights = [link.bounding_box()["height"] for link in page.locator("nav.registry-nav a").all()]
    assert heights and min(heights) >= 44, heights


def test_the_outbox_fits_a_phone_and_numbers_its_messages_in_russian(demo_site, new_context):
    page = _russian_phone(new_context, demo_site, "admin")
    _open(page, demo_site, "/admin/outbox", "admin-outbox")

    assert page.locator("main table th").first.inner_text().strip() == "№"
    assert page.locator("main table tbody tr.outbox-row").count() > 0  # the demo sent its mails
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    # Each message is one block on a phone: its status and recipient are on the screen, not off to the right.
    for cell in page.locator("main table tbody tr.outbox-row").first.locator("td").all():
        box = cell.bounding_box()
        assert box is None or box["x"] + box["width"] <= PHONE["width"], (cell.inner_text(), box)
