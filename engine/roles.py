"""Roles a person can hold; a BPMN lane name is one of these. One place for the list."""

from __future__ import annotations

PATIENT = "patient"
DOCTOR = "doctor"
INSTRUCTOR = "instructor"
MANAGER = "manager"
ANALYST = "analyst"
ADMIN = "admin"

ROLES = (PATIENT, DOCTOR, INSTRUCTOR, MANAGER, ANALYST, ADMIN)
STAFF_ROLES = frozenset({DOCTOR, INSTRUCTOR, MANAGER, ANALYST, ADMIN})
# Who may create accounts for other people (R-ACC-02: attending doctor, project manager, registry).
ACCOUNT_CREATORS = frozenset({DOCTOR, MANAGER, ADMIN})
