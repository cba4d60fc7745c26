"""The API answers pathway content in the language the client asks for (Accept-Language), translated the
way the pages translate it: task and pathway titles, and the texts of the form schema and uiSchema.
Values a client sends back (consts, enum values, defaults) stay as authored."""

from __future__ import annotations

import copy

from flask_babel import force_locale

from tests.api.test_api import _auth, _token
from tests.tasks.conftest import start, task_of
from tests.tasks.test_pathway_translation import compiled_russian, model  # noqa: F401  (fixtures)
from webui.api import texts as api_texts

RU = {"Accept-Language": "ru"}


def test_a_russian_client_gets_the_task_pathway_and_form_in_russian(app, client, cast, deploy, model):  # noqa: F811
    deploy(model)
    iid = start(app, "hold_demo", cast.patient, cast.patient, consultation_id=42)
    guid = task_of(app, cast.patient, iid)
    token = _token(app, cast.patient)

    listed = client.get("/api/v1/tasks", headers=_auth(token, **RU)).json["tasks"][0]
    task = client.get(f"/api/v1/tasks/{iid}/{guid}", headers=_auth(token, **RU)).json["task"]
    instance = client.get(f"/api/v1/instances/{iid}", headers=_auth(token, **RU)).json

    assert listed["title"] == "Провести консультацию" and listed["pathway_title"] == "Сеанс консультации"
    assert task["title"] == "Провести консультацию" and task["pathway_title"] == "Сеанс консультации"
    assert instance["pathway_title"] == "Сеанс консультации"
    assert instance["pending_tasks"][0]["title"] == "Провести консультацию"
    outcome = task["form_schema"]["properties"]["outcome"]
    assert outcome["title"] == "Консультация состоялась?"
    assert outcome["oneOf"] == [{"const": "held", "title": "Проведена"},
                                {"const": "missed", "title": "Не состоялась: пациент не подключился"}]
    assert task["form_schema"]["title"] == "Провести консультацию"
    assert task["form_schema"]["properties"]["session_note"]["title"] == "Примечание"
    # Not in the catalog yet: as the analyst wrote it (JSON needs no HTML escaping).
    assert task["form_schema"]["properties"]["fresh"]["title"] == "A <new> field, not translated yet"
    assert "Консультация № 42" in task["instructions_html"]
    assert task["name"] == "hold" and task["pathway"] == "hold_demo"  # ids are never translated


def test_the_same_task_reads_in_english_for_an_english_or_unspecified_client(app, client, cast, deploy, model):  # noqa: F811
    deploy(model)
    iid = start(app, "hold_demo", cast.patient, cast.patient, consultation_id=42)
    guid = task_of(app, cast.patient, iid)
    token = _token(app, cast.patient)

    for headers in (_auth(token, **{"Accept-Language": "en"}), _auth(token)):
        task = client.get(f"/api/v1/tasks/{iid}/{guid}", headers=headers).json["task"]
        assert task["title"] == "Hold the consultation" and task["pathway_title"] == "Consultation session"
        assert task["form_schema"]["properties"]["outcome"]["title"] == "Did the consultation take place?"
        assert task["form_schema"]["properties"]["outcome"]["oneOf"][0] == {"const": "held", "title": "Held"}
        listed = client.get("/api/v1/tasks", headers=headers).json["tasks"][0]
        assert listed["title"] == "Hold the consultation"


def test_a_russian_answer_still_takes_the_authored_values_back(app, client, cast, deploy, model):  # noqa: F811
    deploy(model)
    iid = start(app, "hold_demo", cast.patient, cast.patient, consultation_id=42)
    guid = task_of(app, cast.patient, iid)
    token = _token(app, cast.patient)

    response = client.post(f"/api/v1/tasks/{iid}/{guid}/complete", headers=_auth(token, **RU),
                           json={"data": {"outcome": "held", "session_note": "ok"}})

    assert response.status_code == 200 and response.json["instance_status"] == "completed"


SCHEMA = {
    "title": "Rate the consultation",
    "description": "Note",
    "type": "object",
    "properties": {
        "rating": {"type": "integer", "title": "Rating", "oneOf": [{"const": 5, "title": "Held"}]},
        "kind": {"type": "string", "title": "Comment", "enum": ["Held", "Cancel"], "default": "Held"},
        "extras": {"type": "array", "items": {"type": "string", "enum": ["Send"]}},
        # A property may be called like a keyword: its schema is still translated, its name never.
        "title": {"type": "string", "title": "Note", "pattern": "^Note$"},
    },
}
UI = {
    "kind": {"ui:widget": "radio", "ui:help": "Comment", "ui:placeholder": "Note"},
    "title": {"ui:options": {"unit": "Note", "labels": ["Held", "", "Cancel"]}},
    "ui:order": ["rating", "kind", "extras", "title"],
    "ui:submitButtonOptions": {"submitText": "Send"},
}


def test_every_shown_text_of_a_form_is_translated_and_no_value_is(app):
    schema, ui = copy.deepcopy(SCHEMA), copy.deepcopy(UI)
    with app.test_request_context(), force_locale("ru"):
        shown_schema, shown_ui = api_texts.form(schema, ui)

    assert (shown_schema["title"], shown_schema["description"]) == ("Оцените консультацию", "Примечание")
    props = shown_schema["properties"]
    assert list(props) == ["rating", "kind", "extras", "title"]
    assert props["rating"]["oneOf"] == [{"const": 5, "title": "Проведена"}]
    assert props["kind"]["title"] == "Комментарий"
    assert props["kind"]["enum"] == ["Held", "Cancel"] and props["kind"]["default"] == "Held"
    assert props["title"] == {"type": "string", "title": "Примечание", "pattern": "^Note$"}
    assert shown_ui["kind"] == {"ui:widget": "radio", "ui:help": "Комментарий", "ui:placeholder": "Примечание",
                                "ui:enumNames": ["Проведена", "Отменить"]}
    assert shown_ui["extras"] == {"ui:enumNames": ["Отправить"]}
    assert shown_ui["title"] == {"ui:options": {"unit": "Примечание", "labels": ["Проведена", "", "Отменить"]}}
    assert shown_ui["ui:order"] == ["rating", "kind", "extras", "title"]
    assert shown_ui["ui:submitButtonOptions"] == {"submitText": "Отправить"}
    assert (schema, ui) == (SCHEMA, UI)  # the stored form is not changed


def test_a_task_without_a_form_keeps_null_schemas(app):
    with app.test_request_context(), force_locale("ru"):
        assert api_texts.form(None, None) == (None, None)
