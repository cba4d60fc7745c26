"""The sandboxed test run, in its own process: `python -m engine.studio.sandbox_run` reads a JSON job
on standard input and prints the walk as JSON. See engine/studio/sandbox.py for the job and why.

Everything happens in a fresh SQLite database in a temporary folder that is deleted afterwards, on a
simulated clock: the models the draft calls are deployed there first, then the draft; one instance is
started and walked, each ready user task completed with sample answers from its form, each waiting
timer fired by moving the clock to its due time. Service tasks reach no real connector: each operator
returns the result the analyst gave for it (or nothing), and the call is shown as a step.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine import clock
from engine.db import create_all, make_engine, make_session_factory, transaction
from engine.studio.samples import sample_for
from engine.workflow import (
    Actor,
    ConnectorRegistry,
    DeployError,
    complete_task,
    deploy_model,
    fire_due_timers,
    limits,
    start_instance,
)
from engine.workflow.models import DueTimer, PendingTask, ProcessInstance, ProcessModelVersion, WaitingMessage
from engine.workflow.validation import resolve_form_path

FINISHED = ("completed", "cancelled")


def _stub(log: list[dict[str, Any]], operator: str, result: Any) -> Any:
    def call(_session: Any, context: Any, params: dict[str, Any]) -> Any:
        log.append(
            {
                "kind": "service",
                "element": context.task_name,
                "operator": operator,
                "params": params,
                "result": result or {},
                "at": clock.now().isoformat(),
            }
        )
        return dict(result or {})

    return call


def _deploy_all(
    factory: Any, models: dict[str, dict[str, str]], registry: ConnectorRegistry
) -> dict[str, DeployError]:
    """Deploy the library models, callees first (retrying like sync_folder)."""
    pending, failed = dict(models), {}
    while pending:
        progressed = False
        for model_id, files in list(pending.items()):
            try:
                with transaction(factory) as session:
                    deploy_model(session, model_id, files, connectors=registry)
            except DeployError as exc:
                failed[model_id] = exc
                continue
            failed.pop(model_id, None)
            del pending[model_id]
            progressed = True
        if not progressed:
            break
    return failed


def _problems(error: DeployError) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "element": p.element, "message": p.message, "params": dict(p.params)}
        for p in error.problems
    ]


def run(job: dict[str, Any], folder: Path) -> dict[str, Any]:
    test_clock = clock.TestClock(datetime.fromisoformat(job["start"]))
    clock.use(test_clock)
    bind = make_engine(f"sqlite:///{folder / 'sandbox.sqlite3'}")
    create_all(bind)
    factory = make_session_factory(bind)
    log: list[dict[str, Any]] = []
    registry = ConnectorRegistry()
    results = job.get("service_results") or {}
    for operator in job["operators"]:
        registry.register(operator, _stub(log, operator, results.get(operator)))
    _deploy_all(factory, job.get("library") or {}, registry)
    model_id = job["model_id"]
    try:
        with transaction(factory) as session:
            deploy_model(session, model_id, job["files"], connectors=registry)
    except DeployError as exc:
        return {"status": "invalid", "steps": [], "problems": _problems(exc)}
    log.append(
        {
            "kind": "start",
            "element": None,
            "data": job.get("start_data") or {},
            "at": test_clock().isoformat(),
        }
    )
    instance_id = start_instance(
        factory, model_id, None, data=dict(job.get("start_data") or {}), connectors=registry
    )
    status = _walk(factory, instance_id, registry, test_clock, log, int(job.get("max_steps", 200)))
    return {"status": status, "steps": log, "problems": []}


def _walk(
    factory: Any,
    instance_id: int,
    registry: ConnectorRegistry,
    test_clock: Any,
    log: list[dict[str, Any]],
    limit: int,
) -> str:
    for _ in range(limit):
        with factory() as session:
            instance = session.get(ProcessInstance, instance_id)
            if instance.status in FINISHED:
                log.append(
                    {
                        "kind": "end",
                        "element": None,
                        "status": instance.status,
                        "at": test_clock().isoformat(),
                    }
                )
                return instance.status
            if instance.status == "error":
                log.append(
                    {
                        "kind": "error",
                        "element": instance.error_element,
                        "message": instance.error_message,
                        "at": test_clock().isoformat(),
                    }
                )
                return "error"
            task = session.scalars(
                select(PendingTask).where(PendingTask.instance_id == instance_id).order_by(PendingTask.id)
            ).first()
            timer = session.scalars(
                select(DueTimer).where(DueTimer.instance_id == instance_id).order_by(DueTimer.due_at)
            ).first()
            messages = list(
                session.scalars(
                    select(WaitingMessage.message_name).where(WaitingMessage.instance_id == instance_id)
                )
            )
            form = _form(session, task) if task is not None else None
        if task is not None:
            data = sample_for(form, test_clock())
            if task.role == "patient" and task.assignee_user_id is None:
                log.append(
                    {
                        "kind": "stuck",
                        "element": task.task_name,
                        "title": task.title,
                        "message": "A patient task without patient_id is nobody's.",
                        "at": test_clock().isoformat(),
                    }
                )
                return "stuck"
            actor = Actor(
                task.assignee_user_id or 0,
                frozenset({task.role}),
                frozenset({task.candidate_group} if task.candidate_group else set()),
            )
            log.append(
                {
                    "kind": "task",
                    "element": task.task_name,
                    "title": task.title,
                    "role": task.role,
                    "form": task.form_filename,
                    "data": data,
                    "at": test_clock().isoformat(),
                }
            )
            complete_task(factory, actor, instance_id, task.task_guid, data, connectors=registry)
        elif timer is not None:
            if timer.due_at > test_clock():
                test_clock.current = timer.due_at
            log.append({"kind": "timer", "element": timer.task_name, "at": test_clock().isoformat()})
            fire_due_timers(factory, now_=test_clock(), connectors=registry)
        else:
            log.append(
                {"kind": "waiting", "element": None, "messages": messages, "at": test_clock().isoformat()}
            )
            return "waiting"
    log.append({"kind": "limit", "element": None, "at": test_clock().isoformat()})
    return "limit"


def _form(session: Any, task: PendingTask) -> Any:
    if not task.form_filename or task.form_version_id is None:
        return None
    version = session.get(ProcessModelVersion, task.form_version_id)
    path = resolve_form_path(version.files, task.form_filename) if version else None
    try:
        return json.loads(version.files[path]) if path else None
    except ValueError:
        return None


def main() -> int:
    job = json.loads(sys.stdin.read())
    for name in job.get("imports") or []:  # the parent's form check (see sandbox.py), installed by importing it
        importlib.import_module(name)
    budget = job.get("limits") or {}  # the web process's limits: a looping model fails here as it would live
    limits.configure(float(budget.get("seconds", limits.LIMITS.seconds)), int(budget.get("megabytes", limits.LIMITS.megabytes)))
    with tempfile.TemporaryDirectory(prefix="carepath-sandbox-") as folder:
        result = run(job, Path(folder))
    sys.stdout.write(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
