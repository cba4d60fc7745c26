"""Scripts, style sheets and the vendored bundles carry their version in the address and are kept by the
browser for a year (no revalidation on each page view); a changed file gets a new address."""

from __future__ import annotations

import os
import re

import pytest
from flask import url_for

from tests.webui.conftest import login, make_user


def test_static_addresses_carry_the_files_version_and_are_cached_for_a_year(app, client):
    page = client.get("/account/login").get_data(as_text=True)
    style = re.search(r'href="(/static/style\.css\?v=[^"]+)"', page)

    assert style, "the page links its style sheet with a version"
    response = client.get(style.group(1))
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.immutable
    # Asked for without a version (an old page, a hand-written link), it is revalidated as before.
    assert client.get("/static/style.css").cache_control.no_cache


def test_a_changed_file_gets_a_new_address(app, tmp_path):
    path = os.path.join(app.static_folder, "style.css")
    before = os.stat(path)
    with app.test_request_context("/"):
        first = url_for("static", filename="style.css")
        os.utime(path, (before.st_atime, before.st_mtime + 60))
        try:
            second = url_for("static", filename="style.css")
        finally:
            os.utime(path, (before.st_atime, before.st_mtime))

    assert first != second and first.split("?")[0] == second.split("?")[0]


def test_the_studios_dmn_bundle_needs_a_login_so_only_the_browser_keeps_it(app, client):
    make_user(app, "analyst@test.org", "analyst")
    login(client, "analyst@test.org")
    with app.test_request_context("/"):
        bundle = url_for("studio.dmn_js", filename="dmn-modeler.production.min.js")
        missing = url_for("static", filename="no-such-file.js")

    assert "v=" not in missing  # no version for a file that is not there: the route answers 404 as before
    response = client.get(bundle)
    if response.status_code == 404:
        pytest.skip("dmn-js is not installed (make install)")
    assert response.cache_control.private and not response.cache_control.public
