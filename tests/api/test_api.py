"""The JSON API: token authentication, the same permission checks as the pages, errors as JSON."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine.apitokens import service as tokens
from engine.apitokens.models import ApiToken
from engine.db import transaction
from tests.tasks.conftest import SYMPTOM_CHECK, instance_row, start, task_of
from tests.webui.conftest import login, make_user


def _token(app, user) -> str:
    with transaction(app.extensions["carepath"].sessions) as session:
        return tokens.issue(session, session.merge(user), "test phone")[1]


def _auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def test_the_openapi_document_is_valid_json_with_every_path(client):
    response = client.get("/api/v1/openapi.json")
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1")
    assert {"/tasks", "/tasks/{instance_id}/{task_guid}", "/tasks/{instance_id}/{task_guid}/complete", "/pathways",
            "/instances", "/instances/{instance_id}"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    refs = [v for v in json.dumps(doc).split('"') if v.startswith("#/components/")]
    for ref in refs:  # every $ref resolves
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]


def test_a_token_authenticates_and_a_revoked_one_is_refused(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    token = _token(app, cast.patient)
    response = client.get("/api/v1/tasks", headers=_auth(token))
    assert response.status_code == 200
    assert [t["instance_id"] for t in response.json["tasks"]] == [iid]
    assert response.json["counts"] == {"symptom_check": 1}
    with app.extensions["carepath"].sessions() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.last_used_at is not None and row.token_hash != token and token not in row.prefix * 3
    with transaction(app.extensions["carepath"].sessions) as session:
        tokens.revoke(session, session.merge(cast.patient), row.id)
    refused = client.get("/api/v1/tasks", headers=_auth(token))
    assert refused.status_code == 401
    assert refused.json == {"error": {"code": "unauthorized", "message": "The API token is unknown or has been revoked."}}
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks", headers=_auth("cp_made_up")).status_code == 401


def test_a_patient_cannot_read_or_complete_another_patients_task_by_api(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    guid = task_of(app, cast.patient, iid)
    before = instance_row(app, iid)
    stranger = _token(app, cast.other_patient)
    assert client.get(f"/api/v1/tasks/{iid}/{guid}", headers=_auth(stranger)).json["error"]["code"] == "not_found"
    response = client.post(f"/api/v1/tasks/{iid}/{guid}/complete", headers=_auth(stranger),
                           json={"data": {"feeling": "better", "temperature": 36.6}})
    assert response.status_code == 404 and response.json["error"]["message"] == "There is no such task."
    assert client.get(f"/api/v1/instances/{iid}", headers=_auth(stranger)).status_code == 404
    assert instance_row(app, iid).revision == before.revision


def test_get_a_task_then_complete_it_with_validated_json(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    guid = task_of(app, cast.patient, iid)
    token = _token(app, cast.patient)
    task = client.get(f"/api/v1/tasks/{iid}/{guid}", headers=_auth(token)).json["task"]
    assert task["form_schema"]["required"] == ["feeling", "temperature"]
    assert task["ui_schema"]["temperature"]["ui:widget"] == "measurement"
    assert "<h2>Daily check after discharge</h2>" in task["instructions_html"]
    assert task["data"] == {}  # only the form's own values; not the patient_id or other task data

    before = instance_row(app, iid)
    bad = client.post(f"/api/v1/tasks/{iid}/{guid}/complete", headers=_auth(token),
                      json={"data": {"feeling": "fine", "temperature": "hot"}})
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "invalid" and set(bad.json["error"]["fields"]) == {"feeling", "temperature"}
    assert instance_row(app, iid).revision == before.revision
    not_json = client.post(f"/api/v1/tasks/{iid}/{guid}/complete", headers=_auth(token), data="x")
    assert not_json.status_code == 400

    done = client.post(f"/api/v1/tasks/{iid}/{guid}/complete", headers=_auth(token),
                       json={"data": {"feeling": "worse", "temperature": 38.5, "symptoms": ["cough"]}})
    assert done.status_code == 200 and done.json["instance_status"] == "waiting"
    again = client.post(f"/api/v1/tasks/{iid}/{guid}/complete", headers=_auth(token),
                        json={"data": {"feeling": "worse", "temperature": 38.5}})
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"


def test_two_doctors_completing_the_same_task_one_gets_409(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    colleague = make_user(app, "colleague@test.org", "doctor")
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    client.post(f"/api/v1/tasks/{iid}/{task_of(app, cast.patient, iid)}/complete",
                headers=_auth(_token(app, cast.patient)), json={"data": {"feeling": "same", "temperature": 37}})
    guid = task_of(app, cast.doctor, iid)
    answer = {"data": {"decision": "visit", "message_to_patient": "Please come on Monday."}}
    first = client.post(f"/api/v1/tasks/{iid}/{guid}/complete", headers=_auth(_token(app, cast.doctor)), json=answer)
    second = client.post(f"/api/v1/tasks/{iid}/{guid}/complete", headers=_auth(_token(app, colleague)), json=answer)
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json["error"]["message"] == "This task was already completed by someone else."


def test_start_a_pathway_and_read_the_instance_by_api(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    deploy("escalation")
    patient = _token(app, cast.patient)
    assert [p["id"] for p in client.get("/api/v1/pathways", headers=_auth(patient)).json["pathways"]] == ["symptom_check"]
    started = client.post("/api/v1/instances", headers=_auth(patient), json={"pathway": "symptom_check"})
    assert started.status_code == 201
    body = started.json
    assert body["access"] == "summary" and "data" not in body and "history" not in body
    assert [t["title"] for t in body["pending_tasks"]] == ["Tell us how you feel"]
    refused = client.post("/api/v1/instances", headers=_auth(patient), json={"pathway": "escalation"})
    assert refused.status_code == 403

    doctor = _token(app, cast.doctor)
    made = client.post("/api/v1/instances", headers=_auth(doctor), json={"pathway": "escalation", "patient_id": cast.patient.id})
    assert made.status_code == 201 and made.json["access"] == "full"
    assert made.json["data"]["doctor_id"] == cast.doctor.id and made.json["history"][0]["kind"] == "start"
    unknown = client.post("/api/v1/instances", headers=_auth(doctor), json={"pathway": "nope", "patient_id": cast.patient.id})
    assert unknown.status_code == 404 and unknown.json["error"]["message"] == "There is no pathway nope."


def test_a_browser_session_may_use_the_api_but_not_post_without_csrf(app, cast, deploy):
    deploy(SYMPTOM_CHECK)
    strict = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        login_page = strict.get("/account/login").get_data(as_text=True)
        csrf = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        strict.post("/account/login", data={"email": cast.patient.email, "password": "correct horse battery",
                                            "csrf_token": csrf})
        assert strict.get("/api/v1/tasks").status_code == 200
        refused = strict.post("/api/v1/instances", json={"pathway": "symptom_check"})
        assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
        token = _token(app, cast.patient)
        assert strict.post("/api/v1/instances", json={"pathway": "symptom_check"}, headers=_auth(token)).status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_an_unconfirmed_account_cannot_act_by_api(app, client, cast):
    token = _token(app, cast.outsider)
    response = client.get("/api/v1/tasks", headers=_auth(token))
    assert response.status_code == 403 and response.json["error"]["code"] == "unconfirmed"


def test_unknown_api_paths_answer_in_json(app, client, cast):
    response = client.get("/api/v1/nothing", headers=_auth(_token(app, cast.patient)))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_the_tokens_page_shows_a_new_token_once_and_revokes_it(app, client, cast):
    login(client, cast.patient.email)
    html = client.post("/cabinet/tokens/", data={"name": "My phone"}).get_data(as_text=True)
    plain = html.split('id="new-token">')[1].split("<")[0]
    assert plain.startswith("cp_")
    assert client.get("/api/v1/tasks", headers=_auth(plain)).status_code == 200
    listing = client.get("/cabinet/tokens/").get_data(as_text=True)
    assert "My phone" in listing and plain not in listing
    with app.extensions["carepath"].sessions() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    other = app.test_client()
    login(other, cast.other_patient.email)
    assert other.post(f"/cabinet/tokens/{token_id}/revoke").status_code == 404  # not theirs
    client.post(f"/cabinet/tokens/{token_id}/revoke")
    assert client.get("/api/v1/tasks", headers=_auth(plain)).status_code == 401


def test_bad_requests_get_documented_json_4xx_never_a_server_error(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    token = _token(app, cast.patient)
    beyond = 2**63  # once OverflowError (500) from SQLite
    for path in (f"/api/v1/instances/{beyond}", f"/api/v1/tasks/{beyond}/00000000-0000-0000-0000-000000000000",
                 "/api/v1/no-such-thing"):
        response = client.get(path, headers=_auth(token))
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", path
    for query in (f"patient_id={beyond}", "patient_id=abc", "patient_id=null&patient_id=null", "limit=0", "limit=501"):
        response = client.get(f"/api/v1/tasks?{query}", headers=_auth(token))
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid", query
    traced = client.open("/api/v1/instances", method="TRACE", headers=_auth(token))
    assert traced.status_code == 405 and traced.json["error"]["code"] == "method_not_allowed"
    assert "POST" in traced.headers["Allow"] and "GET" not in traced.headers["Allow"]
    started = client.post("/api/v1/instances", headers=_auth(token), json={"pathway": 5, "patient_id": beyond})
    assert started.status_code == 400 and set(started.json["error"]["fields"]) == {"pathway", "patient_id"}
    assert client.post("/api/v1/instances", headers=_auth(token), json={"data": []}).status_code == 400
