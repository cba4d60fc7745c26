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


def test_the_zip_export_and_import_keep_who_may_start_the_pathway(app, client):
    import json
    import zipfile
    from pathlib import Path

    from engine.db import transaction
    from engine.studio.models import StudioDraft
    from engine.workflow.deploy import deploy_model, read_model_folder

    folder = Path(__file__).parents[1] / "data" / "workflow" / "start_form"
    with transaction(app.extensions["carepath"].sessions) as session:
        deploy_model(session, "start_form", read_model_folder(folder))
    login(client, make_user(app, "analyst4@example.test", "analyst").email)
    exported = client.get("/studio/start_form/export.zip")
    assert exported.status_code == 200
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(exported.data)).read("start_form/model.json"))
    assert manifest["patient_start"] == {"form": "forms/start.json"}
    client.post(
        "/studio/import",
        data={"archive": (io.BytesIO(exported.data), "start_form-v1.zip"), "model_id": "start_form_copy"},
        content_type="multipart/form-data",
    )
    with transaction(app.extensions["carepath"].sessions) as session:
        draft = session.get(StudioDraft, "start_form_copy")
        version = deploy_model(session, "start_form_copy", draft.files)
        assert version.patient_start == {"form": "forms/start.json"}
