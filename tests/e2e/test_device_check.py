"""The device check in Chromium with its fake camera and microphone (a test pattern and a beep), and once
with the permission refused: the advice shows, and the join button still joins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_accessibility import _axe

pytestmark = pytest.mark.e2e
FAKE_DEVICES = "--use-fake-device-for-media-stream"
JOIN = "/consultations/7/join"


@pytest.fixture(scope="module")
def chromium(playwright_chromium) -> object:
    """The session's Playwright: each test launches its own Chromium with the media flags it needs."""
    return playwright_chromium


@pytest.fixture
def launch(chromium) -> Iterator[object]:
    browsers = []

    def open_page(*flags: str) -> object:
        browser = chromium.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *flags])
        browsers.append(browser)
        context = browser.new_context(locale="en-US")
        context.set_default_timeout(15000)
        return context.new_page()

    yield open_page
    for browser in browsers:
        browser.close()


def test_with_working_devices_every_check_passes_and_the_join_button_says_so(live_server, launch):
    page = launch(FAKE_DEVICES, "--use-fake-ui-for-media-stream")
    page.goto(f"{live_server.url}/device-check/?next={JOIN}")
    assert page.locator("#check-browser").get_attribute("data-state") == "ok"
    assert page.locator("#join").inner_text() == "Join (the check is not finished)"

    page.click("#start-check")
    page.wait_for_selector("#check-camera[data-state=ok]")
    page.wait_for_selector("#check-microphone[data-state=ok]")  # the fake microphone's beep moved the meter
    page.wait_for_selector("#check-network:not([data-state=pending])")
    page.click("#play-sound")
    page.click("#heard-yes")

    assert page.evaluate("document.getElementById('camera-preview').videoWidth") > 0  # frames arrive
    assert page.evaluate("document.getElementById('mic-level').value") > 0
    assert page.locator("#check-network").get_attribute("data-state") in ("ok", "warn")
    assert "kbit/s" in page.locator("#check-network .status").inner_text()
    assert page.locator("#check-speaker").get_attribute("data-state") == "ok"
    assert page.locator("#check-summary").inner_text() == "The check passed."
    join = page.locator("#join")
    assert join.inner_text() == "Join — everything works" and join.get_attribute("data-state") == "passed"
    assert join.get_attribute("href") == JOIN
    assert _axe(page) == []  # no serious or critical WCAG A/AA violation
    live_server.screenshot(page, "device-check-passed")


def test_a_refused_permission_is_explained_and_joining_is_still_offered(live_server, launch):
    page = launch(FAKE_DEVICES, "--deny-permission-prompts")
    page.goto(f"{live_server.url}/device-check/?next={JOIN}")
    page.click("#start-check")
    page.wait_for_selector("#check-camera[data-state=fail]")
    page.wait_for_selector("#check-network:not([data-state=pending])")
    page.click("#play-sound")
    page.click("#heard-no")

    camera = page.locator("#check-camera")
    assert camera.locator(".status").inner_text() == "Access to the camera and microphone was refused."
    assert "click the camera icon in the address bar" in camera.locator(".advice").inner_text()
    assert page.locator("#check-microphone").get_attribute("data-state") == "fail"
    assert "Turn the volume up" in page.locator("#check-speaker .advice").inner_text()
    join = page.locator("#join")
    assert join.inner_text() == "Join anyway — the check found problems"
    assert join.get_attribute("href") == JOIN and join.get_attribute("data-state") == "failed"
    live_server.screenshot(page, "device-check-refused")
