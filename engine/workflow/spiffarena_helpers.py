"""SpiffArena's script helpers, so scripts written for SpiffArena run here unchanged, with CarePath meanings.

The list and the return shapes follow spiff-arena's backend (`spiffworkflow_backend/scripts/`):
- `get_current_user()`: the person whose action runs the script (who completed the task, who started
  the instance), as SpiffArena's user dict: id, username (our login is the email), email,
  display_name, service, service_id;
- `get_process_initiator_user()`: the person who started the instance, same shape;
- `get_last_user_completing_task(bpmn_process_identifier, task_bpmn_identifier)`: same shape;
- `get_group_members(group_identifier)`: sorted usernames of a group an admin manages;
- `get_env()`: the environment's name (CAREPATH_ENV_NAME, default "carepath");
- `get_frontend_url()`: the public address (CAREPATH_BASE_URL);
- `get_toplevel_process_info()`: {"process_instance_id", "process_model_identifier"}.
None hands out a secret, a password hash, a phone number or anything of the server.

What the helpers need to know about the instance (its id, model, starter, who completed what) is kept
in the workflow's own data under FACTS, which scripts cannot name (the sandbox refuses underscore
names), so it travels with the saved state and costs no query. People are looked up through the
`People` the app composition installs (`configure`), in a short read session of their own: the engine
step sets `READER` (engine.workflow.txn.step_connection), since no transaction is open on the step's
connection while pathway code runs. That is the one way in; the script engine holds no session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

from engine import clock

FACTS = "_carepath"


class People(Protocol):
    def user(self, session: Any, user_id: int) -> dict[str, Any] | None: ...

    def group_members(self, session: Any, group: str) -> list[str] | None: ...


@dataclass
class Site:
    env: str = "carepath"
    frontend_url: str = ""
    people: People | None = None


SITE = Site()


def configure(env: str, frontend_url: str, people: People | None) -> None:
    """Called by the app composition (engine.composition) with the settings and the account lookup."""
    SITE.env, SITE.frontend_url, SITE.people = env, frontend_url, people


class HelperError(Exception):
    """A helper asked for something that does not exist; the instance goes to `error` with this text."""


_TASK: ContextVar[Any] = ContextVar("spiffarena_task", default=None)
# Set by the engine step (engine.workflow.txn): a short read session of its own, since pathway code runs
# with no transaction open on the step's connection. Outside a step (a bare workflow in a test) it is
# None and the helpers answer without looking people up.
READER: ContextVar[Callable[[], AbstractContextManager[Any]] | None] = ContextVar("spiffarena_reader", default=None)


@contextmanager
def _people_session() -> Iterator[Any]:
    reader = READER.get()
    if reader is None:
        yield None
        return
    with reader() as session:
        yield session


@contextmanager
def running(task: Any) -> Iterator[None]:
    """The task whose script or expression runs now (set by the script engine around each call)."""
    token = _TASK.set(task)
    try:
        yield
    finally:
        _TASK.reset(token)


# ------------------------------------------------------------------ facts kept in the workflow's data


def facts_of(workflow: Any) -> dict[str, Any]:
    top = getattr(workflow, "top_workflow", workflow)
    found = top.data.get(FACTS)
    if not isinstance(found, dict):
        found = {}
        top.data[FACTS] = found
    return found


def record_start(workflow: Any, instance_id: int | None, model_id: str, started_by: int | None) -> None:
    facts_of(workflow).update(instance=instance_id, model=model_id, started_by=started_by, acting=started_by)


def record_completion(task: Any, user_id: int) -> None:
    """Before a person's task runs: they are the current user, and its last completer."""
    facts = facts_of(task.workflow)
    facts["acting"] = user_id
    key = f"{task.workflow.spec.name}:{task.task_spec.bpmn_id or task.task_spec.name}"
    facts.setdefault("completed", {})[key] = user_id


def started_by(task: Any) -> int | None:
    top = getattr(task.workflow, "top_workflow", task.workflow)
    facts = top.data.get(FACTS)  # read only: the index is built from the state, never changes it
    value = facts.get("started_by") if isinstance(facts, dict) else None
    return value if isinstance(value, int) else None


# ------------------------------------------------------------------ the helpers


def _task() -> Any:
    task = _TASK.get()
    if task is None:
        raise HelperError("this helper works only inside a running pathway")
    return task


def _user(user_id: Any) -> dict[str, Any] | None:
    if not isinstance(user_id, int):
        return None
    _task()
    with _people_session() as session:
        if SITE.people is None or session is None:
            return {"id": user_id, "username": str(user_id), "email": None, "display_name": str(user_id)}
        return SITE.people.user(session, user_id)


def get_current_user(*_args: Any, **_kwargs: Any) -> dict[str, Any] | None:
    return _user(facts_of(_task().workflow).get("acting"))


def get_process_initiator_user(*_args: Any, **_kwargs: Any) -> dict[str, Any] | None:
    return _user(facts_of(_task().workflow).get("started_by"))


def get_last_user_completing_task(*args: Any, **kwargs: Any) -> dict[str, Any] | None:
    process = args[0] if len(args) == 2 else kwargs.get("bpmn_process_identifier")
    name = args[1] if len(args) == 2 else kwargs.get("task_bpmn_identifier")
    completed = facts_of(_task().workflow).get("completed", {})
    user_id = completed.get(f"{process}:{name}")
    if user_id is None:
        raise HelperError(f"nobody has completed task {name} of process {process} yet")
    return _user(user_id)


def get_group_members(group_identifier: str, *_args: Any, **_kwargs: Any) -> list[str]:
    _task()
    with _people_session() as session:
        members = SITE.people.group_members(session, str(group_identifier)) if SITE.people and session else None
    if members is None:
        raise HelperError(f"get_group_members could not find group with identifier {group_identifier!r}")
    return sorted(members)


def get_env(*_args: Any, **_kwargs: Any) -> str:
    return SITE.env


def get_frontend_url(*_args: Any, **_kwargs: Any) -> str:
    return SITE.frontend_url


def get_toplevel_process_info(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
    facts = facts_of(_task().workflow)
    return {"process_instance_id": facts.get("instance"), "process_model_identifier": facts.get("model")}


# SpiffArena's script globals include the modules `time` and `json`; only their harmless functions here
# (no sleep: a script may not hold a worker), on the platform clock.
TIME = SimpleNamespace(time=lambda: clock.now().timestamp(), strftime=lambda fmt, *_: clock.now().strftime(fmt))
JSON = SimpleNamespace(loads=json.loads, dumps=json.dumps)

HELPERS: dict[str, Any] = {
    "time": TIME,
    "json": JSON,
    **{fn.__name__: fn
    for fn in (
        get_current_user, get_process_initiator_user, get_last_user_completing_task, get_group_members,
        get_env, get_frontend_url, get_toplevel_process_info,
    )},
}  # fmt: skip
