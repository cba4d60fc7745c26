"""The OpenAPI 3.1 document of /api/v1 (served at /api/v1/openapi.json). Shapes: views.py."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from engine.db import ID_MAX  # a path id beyond it is no route (404), a query or body value is refused (400)

STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_INT = {"type": ["integer", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {400: "Invalid input (field errors in error.fields)", 401: "No or bad token", 403: "Not yours",
             404: "Unknown id, or not yours to know of", 409: "Completed meanwhile by someone else"}
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes if code in texts}


TASK_PATH = [
    {"name": "instance_id", "in": "path", "required": True, "schema": ID},
    {"name": "task_guid", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
]

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["forbidden", "conflict", "invalid", "unauthorized"]},
                "message": {"type": "string", "description": "In the language of Accept-Language"},
                "fields": {"type": "object", "additionalProperties": {"type": "array", "items": STRING}},
            },
        }},
    },
    "InboxItem": {
        "type": "object",
        "properties": {
            "instance_id": INTEGER, "task_guid": STRING, "title": STRING, "pathway": STRING, "pathway_title": STRING,
            "role": STRING, "patient_id": NULLABLE_INT, "due_at": DATETIME, "overdue": BOOLEAN, "queue": BOOLEAN,
            "claimed_by": NULLABLE_INT, "created_at": DATETIME, "url": STRING,
        },
    },
    "Inbox": {
        "type": "object",
        "properties": {
            "tasks": {"type": "array", "items": _ref("InboxItem")},
            "counts": {"type": "object", "additionalProperties": INTEGER, "description": "pending tasks per pathway"},
            "overdue": INTEGER,
        },
    },
    "Task": {
        "type": "object",
        "properties": {
            "instance_id": INTEGER, "task_guid": STRING, "name": STRING, "title": STRING, "pathway": STRING,
            "pathway_title": STRING, "role": STRING, "lane": {"type": ["string", "null"]}, "patient_id": NULLABLE_INT,
            "due_at": DATETIME, "instructions_html": {"type": "string", "description": "sanitized HTML"},
            "form_schema": {"type": ["object", "null"], "description": "JSON Schema of the form (null: no form); "
                            "titles, descriptions and option titles in the language asked for (Accept-Language)"},
            "ui_schema": {"type": ["object", "null"], "description": "RJSF uiSchema, its texts translated like the "
                          "schema; a field with a string enum gets ui:enumNames, the labels of its values"},
            "data": {"type": "object", "description": "current values of the form's properties"},
            "complete_url": STRING,
        },
    },
    "Completion": {
        "type": "object",
        "properties": {"data": {"type": "object", "description": "answers, validated against form_schema"}},
    },
    "Completed": {
        "type": "object",
        "properties": {"instance_id": INTEGER, "task_guid": STRING,
                       "instance_status": {"enum": ["running", "waiting", "completed", "cancelled", "error"]}},
    },
    "Pathway": {
        "type": "object",
        "properties": {"id": STRING, "title": STRING, "description": STRING, "self_service": BOOLEAN,
                       "start_form": {"type": ["object", "null"],
                                      "description": "JSON Schema a patient fills to start it (send as data)"}},
    },
    "StartRequest": {
        "type": "object", "required": ["pathway"],
        "properties": {
            "pathway": STRING,
            "patient_id": {**ID, "description": "staff: the patient (or patient_email)"},
            "patient_email": {"type": "string", "format": "email"},
            "data": {"type": "object", "description": "answers of the pathway's start_form (patients)"},
        },
    },
    "Instance": {
        "type": "object",
        "properties": {
            "id": INTEGER, "pathway": STRING, "pathway_title": STRING, "version": INTEGER,
            "status": {"enum": ["running", "waiting", "completed", "cancelled", "error"]},
            "patient_id": NULLABLE_INT, "created_at": DATETIME, "updated_at": DATETIME,
            "access": {"enum": ["full", "summary"]},
            "pending_tasks": {"type": "array", "items": {"type": "object"}},
            "error": {"type": ["object", "null"], "properties": {"message": STRING, "element": {"type": ["string", "null"]}}},
            "data": {"type": "object", "description": "full access only"},
            "history": {"type": "array", "items": {"type": "object"}, "description": "full access only"},
        },
    },
}  # fmt: skip


def document(server_url: str) -> dict[str, Any]:
    task_ops = {"parameters": TASK_PATH}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CarePath API",
            "version": "1.0.0",
            "description": "Tasks of care pathways for patients and staff. Authenticate with "
            "`Authorization: Bearer <token>` (create tokens at /cabinet/tokens). Error messages follow "
            "Accept-Language (ru, en).",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/tasks": {"get": {
                "operationId": "listTasks", "summary": "My pending tasks, overdue first",
                "parameters": [
                    {"name": "pathway", "in": "query", "schema": STRING},
                    {"name": "patient_id", "in": "query", "schema": ID},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                ],
                "responses": {"200": _json(_ref("Inbox"), "The inbox"), **_errors(400, 401, 403)},
            }},
            "/tasks/{instance_id}/{task_guid}": {**task_ops, "get": {
                "operationId": "getTask", "summary": "One task: form schema, UI schema, instructions, data",
                "responses": {"200": _json({"type": "object", "properties": {"task": _ref("Task")}}, "The task"),
                              **_errors(400, 401, 403, 404, 409)},
            }},
            "/tasks/{instance_id}/{task_guid}/complete": {**task_ops, "post": {
                "operationId": "completeTask", "summary": "Submit the answers and complete the task",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Completion")}}},
                "responses": {"200": _json(_ref("Completed"), "Completed"), **_errors(400, 401, 403, 404, 409)},
            }},
            "/tasks/{instance_id}/{task_guid}/claim": {**task_ops, "post": {
                "operationId": "claimTask", "summary": "Take a queue task",
                "responses": {"200": _json({"type": "object"}, "Taken"), **_errors(400, 401, 403, 404, 409)},
            }},
            "/tasks/{instance_id}/{task_guid}/release": {**task_ops, "post": {
                "operationId": "releaseTask", "summary": "Give a taken task back to its queue",
                "responses": {"200": _json({"type": "object"}, "Released"), **_errors(400, 401, 403, 404)},
            }},
            "/pathways": {"get": {
                "operationId": "listPathways", "summary": "Pathways I may start",
                "responses": {"200": _json({"type": "object", "properties": {
                    "pathways": {"type": "array", "items": _ref("Pathway")}}}, "Pathways"), **_errors(400, 401, 403)},
            }},
            "/instances": {"post": {
                "operationId": "startPathway", "summary": "Start a pathway (staff for a patient; patients: self-service)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("StartRequest")}}},
                "responses": {"201": _json(_ref("Instance"), "Started"), **_errors(400, 401, 403, 404)},
            }},
            "/instances/{instance_id}": {"get": {
                "operationId": "getInstance", "summary": "A pathway instance (full for staff, summary for the patient)",
                "parameters": [TASK_PATH[0]],
                "responses": {"200": _json(_ref("Instance"), "The instance"), **_errors(400, 401, 403, 404)},
            }},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": {f"E{code}": _json(_ref("Error"), text) for code, text in (
                (400, "Invalid input"), (401, "Not authenticated"), (403, "Forbidden"), (404, "Not found"),
                (409, "Conflict"))},
        },
    }  # fmt: skip


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[schema_name], format_checker=Draft202012Validator.FORMAT_CHECKER)


def body_errors(schema_name: str, body: Any) -> list[str]:
    """The fields of a request body that break its schema in this document ("_body" for the whole)."""
    return sorted({str(error.path[0]) if error.path else "_body" for error in _validator(schema_name).iter_errors(body)})
