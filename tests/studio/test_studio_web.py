"""The studio's pages and endpoints through the Flask client: analysts only, and bad input refused."""

from __future__ import annotations

import io

from tests.webui.conftest import login, make_user


def test_only_analysts_and_admins_reach_the_studio(app, client, cast):
    login(client, cast.patient.email)
    assert client.get("/studio/").status_code == 403
    assert client.post("/studio/api/form-preview", json={"schema": "{}"}).status_code == 403
    client.post("/account/logout")
    analyst = make_user(app, "analyst@example.test", "analyst")
    login(client, analyst.email)
    assert client.get("/studio/").status_code == 200


def test_a_50_mb_upload_is_refused_with_the_reason(app, client):
    analyst = make_user(app, "analyst2@example.test", "analyst")
    login(client, analyst.email)
    big = io.BytesIO(b"0" * (50 * 1024 * 1024))
    response = client.post(
        "/studio/import",
        data={"archive": (big, "big.zip")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert b"larger than" in response.data


def test_the_form_preview_renders_a_schema_and_explains_a_non_schema(app, client):
    analyst = make_user(app, "analyst3@example.test", "analyst")
    login(client, analyst.email)
    good = client.post(
        "/studio/api/form-preview",
        json={"schema": '{"type": "object", "properties": {"a": {"type": "string", "title": "Your name"}}}'},
    )
    assert good.get_json()["ok"] and "Your name" in good.get_json()["html"]
    bad = client.post("/studio/api/form-preview", json={"schema": '{"type": "array"}'}).get_json()
    assert not bad["ok"] and bad["errors"]
