"""App fixtures: a real app on a SQLite file (and PostgreSQL where it answers), a fixed cast of users."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from engine.accounts.models import ACTIVE, User, UserRole
from engine.accounts.service import hash_password
from engine.config import load_settings
from engine.db import transaction
from engine.outbox import OutboxMessage
from webui import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path):
    return load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path / "instance"),
                          "CAREPATH_DEFAULT_LOCALE": "en"})


@pytest.fixture
def app(settings, db_engine: Engine) -> Iterator[Flask]:
    application = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False},
                             settings=settings)
    runtime = application.extensions["carepath"]
    runtime.engine.dispose()
    # Run against the parametrized test database instead of the instance folder's default.
    from engine.db import make_session_factory

    runtime.engine = db_engine
    runtime.sessions = make_session_factory(db_engine)
    yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Cast:
    patient: User
    other_patient: User
    doctor: User
    admin: User
    outsider: User


def make_user(app: Flask, email: str, *roles: str, status: str = ACTIVE, **fields: object) -> User:
    with transaction(app.extensions["carepath"].sessions) as session:
        user = User(email=email, last_name=fields.pop("last_name", "Test"), first_name=fields.pop("first_name", "Tess"),
                    status=status, password_hash=hash_password(PASSWORD), locale="en", **fields)
        user.roles = [UserRole(role=r) for r in roles]
        session.add(user)
    return user


@pytest.fixture
def cast(app: Flask) -> Cast:
    return Cast(
        patient=make_user(app, "patient@test.org", "patient"),
        other_patient=make_user(app, "other@test.org", "patient"),
        doctor=make_user(app, "doctor@test.org", "doctor"),
        admin=make_user(app, "admin@test.org", "admin"),
        outsider=make_user(app, "outsider@test.org", "patient", status="unconfirmed"),
    )


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    return client.post("/account/login", data={"email": email, "password": password}, follow_redirects=True)


def outbox(app: Flask, kind: str | None = None) -> list[OutboxMessage]:
    with transaction(app.extensions["carepath"].sessions) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.scalars(query))


def link_path(message: OutboxMessage) -> str:
    return re.sub(r"^https?://[^/]+", "", str(message.context["link"]))
