"""The browser list of the seeds (R-TECH-06, R-TECH-10..12) and the check page's answer to each browser."""

from __future__ import annotations

import pytest

from webui.devicecheck.browsers import check

CHROME_140 = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
              "Safari/537.36")
IE_11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
OLD_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 "
            "Safari/537.36 Edge/18.19582")
YANDEX_18 = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 "
             "YaBrowser/18.11.1.805 Yowser/2.5 Safari/537.36")
YANDEX_19 = YANDEX_18.replace("YaBrowser/18.11.1.805", "YaBrowser/19.3.0.2485")
OPERA_58 = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/71.0.3578.98 "
            "Safari/537.36 OPR/58.0.3135.65")
OPERA_ANDROID_50 = ("Mozilla/5.0 (Linux; Android 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.90 "
                    "Mobile Safari/537.36 OPR/50.0.2426.201")
SAFARI_MAC_12 = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/12.0 Safari/605.1.15")
SAFARI_IOS_12_1 = ("Mozilla/5.0 (iPhone; CPU iPhone OS 12_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                   "Version/12.1 Mobile/15E148 Safari/604.1")
FIREFOX_65 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:65.0) Gecko/20100101 Firefox/65.0"
FIREFOX_66 = FIREFOX_65.replace("65.0", "66.0")


@pytest.mark.parametrize(("agent", "name", "supported"), [
    (CHROME_140, "Chrome", True), (IE_11, "Internet Explorer", False), (OLD_EDGE, "Microsoft Edge (legacy)", False),
    (YANDEX_18, "Yandex Browser", False), (YANDEX_19, "Yandex Browser", True), (OPERA_58, "Opera", False),
    (OPERA_ANDROID_50, "Opera", True), (SAFARI_MAC_12, "Safari", True), (SAFARI_IOS_12_1, "Safari", False),
    (FIREFOX_65, "Firefox", False), (FIREFOX_66, "Firefox", True), ("curl/8.5.0", "", None),
])
def test_each_browser_is_judged_by_the_seeds_list(agent, name, supported):
    verdict = check(agent)

    assert (verdict.name, verdict.supported) == (name, supported)


def test_the_page_names_an_unsupported_browser_and_lists_the_supported_ones(client):
    page = client.get("/device-check/?next=/consultations/3/join", headers={"User-Agent": IE_11}).text

    assert "Internet Explorer is not supported." in page
    assert "Chrome / Chromium 73+, Firefox 66+, Opera 59+, Safari 12+, Yandex Browser 19+" in page
    assert 'id="join" href="/consultations/3/join"' in page


def test_an_old_version_is_told_which_version_it_needs(client):
    page = client.get("/device-check/", headers={"User-Agent": FIREFOX_65}).text

    assert "Firefox 65.0 is too old: version 66 or newer is needed." in page
    assert 'id="join"' not in page  # no session to join: the check alone


def test_the_join_target_must_be_a_local_page(client):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert 'id="join"' not in client.get("/device-check/", query_string={"next": target}).text


def test_the_network_probe_sends_the_asked_size_within_its_limit_uncached(client):
    small, huge = client.get("/device-check/probe.bin?kb=4"), client.get("/device-check/probe.bin?kb=99999")

    assert len(small.data) == 4 * 1024 and small.headers["Cache-Control"] == "no-store"
    assert len(huge.data) == 1024 * 1024
