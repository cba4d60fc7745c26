"""Walking an instance through its task pages with the test client, as a person would: open each task
page (it must render), fill every input the page shows with a plausible value, submit."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from engine.accounts.models import User
from engine.workflow import inbox
from engine.workflow.models import ProcessInstance
from webui.tasks.core import actor_for


class _Inputs(HTMLParser):
    """The named controls of the task form, with what a person would enter."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._select: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and "cp-form" in (a.get("class") or ""):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "option" and self._select and a.get("value") and self._select not in self.values:
            self.values[self._select] = a["value"]
        if not name or name in ("csrf_token", "cp_add_entry") or "disabled" in a or "readonly" in a:
            return
        if tag == "select":
            self._select = name
        elif tag == "textarea":
            self.values[name] = "A reason written by hand"
        elif tag == "input":
            kind = a.get("type", "text")
            if kind == "hidden":
                return
            if kind in ("checkbox", "radio"):
                self.values.setdefault(name, a.get("value") or "y")
            elif kind == "number":
                self.values[name] = "3"
            elif kind == "email":
                self.values[name] = "reviewer@test.org"
            elif kind == "date":
                self.values[name] = "2026-12-31"
            else:
                self.values[name] = "Written by hand"

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "form":
            self._in_form = False


def form_inputs(html: str) -> dict[str, Any]:
    parser = _Inputs()
    parser.feed(html)
    return parser.values


def my_tasks(app: Flask, user: Any, instance_id: int) -> list[str]:
    with app.extensions["carepath"].sessions() as session:
        actor = actor_for(session.get(User, user.id))  # in a session, so that its work groups count
        return [i.task_guid for i in inbox(session, actor) if i.instance_id == instance_id]


def status_of(app: Flask, instance_id: int) -> tuple[str, str | None]:
    with app.extensions["carepath"].sessions() as session:
        row = session.get(ProcessInstance, instance_id)
        return row.status, row.error_message


def walk(app: Flask, client: FlaskClient, user: Any, instance_id: int, limit: int = 20,
         override: dict[str, Any] | None = None) -> list[str]:
    """Completes every task `user` gets in this instance through the pages; returns the page titles seen."""
    seen = []
    for _ in range(limit):
        guids = my_tasks(app, user, instance_id)
        if not guids:
            return seen
        url = f"/tasks/{instance_id}/{guids[0]}"
        page = client.get(url)
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
        html = page.get_data(as_text=True)
        seen.append(html)
        data = {**form_inputs(html), **(override or {})}
        done = client.post(url, data=data)
        assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    raise AssertionError("the instance did not end within the limit")
