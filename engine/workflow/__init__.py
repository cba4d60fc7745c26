"""The workflow engine: every pathway is a BPMN process run by SpiffWorkflow 3.2.

This package is the only place that imports SpiffWorkflow. Public API (see each module):

Deploying (engine.workflow.deploy)
    deploy_model(session, model_id, files, deployed_by=None, title=None, description=None,
                 connectors=None) -> ProcessModelVersion          raises DeployError(problems)
    sync_folder(session_factory, folder, deployed_by=None, connectors=None) -> SyncResult
    latest_version(session, model_id) -> ProcessModelVersion | None

Running (engine.workflow.runtime, .events; the step itself in .steps); each call runs the pathway's
code with no transaction open, under the limits of .limits, then writes in one transaction (one more
per connector call); losers of a race get Conflict
    start_instance(session_factory, model_id, actor, data=None, patient_id=None, connectors=None) -> int
    start_instances(session_factory, model_id, actor, items=[(data, patient_id), ...], connectors=None)
        -> list[int]     many starts written in one transaction, all or nothing (imports; see start.py)
    complete_task(session_factory, actor, instance_id, task_guid, data, connectors=None) -> status
    claim_task(session, actor, instance_id, task_guid) / release_task(...)
    fire_due_timers(session_factory, now_=None, connectors=None, limit=500) -> int
    correlate_message(session_factory, name, correlation=None, payload=None, instance_id=None,
                      connectors=None) -> int
    retry_instance(session_factory, actor, instance_id, connectors=None) -> status      (staff)
    cancel_instance(session_factory, actor, instance_id, reason="")                       (staff)

Reading (engine.workflow.views); inboxes never deserialize a workflow
    inbox(session, actor, pathway=None, patient_id=None, limit=100) -> list[InboxItem]
    inbox_counts(session, actor, patient_id=None) -> dict[model_id, int]
    overdue_count(session, actor) -> int
    get_task(session, actor, instance_id, task_guid) -> TaskView       (instructions from the property
        or SpiffArena's <spiffworkflow:instructionsForEndUser> element; assignee, claim, version ids)
    instance_data(session, actor, instance_id) -> dict                  (staff and the care team)
    render_instructions(template, data) -> str

Who is who (engine.workflow.access): Actor(user_id, roles, groups); assignment rules are documented there.
Connectors (engine.workflow.connectors): default_registry.register(name, fn); fn(session, context, params).
"""

from __future__ import annotations

from engine.workflow.access import Actor
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, default_registry
from engine.workflow.deploy import SyncResult, deploy_model, latest_version, sync_folder
from engine.workflow.events import correlate_message, fire_due_timers
from engine.workflow.runtime import (
    cancel_instance,
    claim_task,
    complete_task,
    release_task,
    retry_instance,
    start_instance,
    start_instances,
)
from engine.workflow.validation import DeployError, Problem
from engine.workflow.views import (
    InboxItem,
    TaskView,
    get_task,
    inbox,
    inbox_counts,
    instance_data,
    overdue_count,
    render_instructions,
)

__all__ = [
    "Actor", "ConnectorRegistry", "DeployError", "InboxItem", "InstanceContext", "Problem", "SyncResult",
    "TaskView", "cancel_instance", "claim_task", "complete_task", "correlate_message", "default_registry",
    "deploy_model", "fire_due_timers", "get_task", "inbox", "inbox_counts", "instance_data", "latest_version",
    "overdue_count", "release_task", "render_instructions", "retry_instance", "start_instance", "start_instances",
    "sync_folder",
]  # fmt: skip
