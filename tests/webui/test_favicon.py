"""Every page names its icon, and /favicon.ico (which browsers ask for anyway) answers with it, not 404."""

from __future__ import annotations

import re


def test_pages_link_an_icon_that_exists_and_favicon_ico_answers(app, client):
    page = client.get("/account/login").get_data(as_text=True)
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', page)

    assert icons, "the page links its icon"
    for address in icons:
        response = client.get(address)
        assert response.status_code == 200 and response.mimetype.startswith("image/"), address
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.mimetype.startswith("image/")
    assert favicon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
