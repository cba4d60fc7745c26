"""The process dashboard for analysts: per pathway, instances by status, the median time of each step
(from task_history: the time between a task's completion and the previous completion, or the start),
where instances wait now (pending tasks and their age), and the measured targets of the pathways
(application to scheduling within 1-3 days, referral to scheduling within 2-4 days).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import as_utc, now
from engine.i18n import N_
from engine.studio.step_targets import step_targets
from engine.workflow.models import PendingTask, ProcessInstance, ProcessModel, TaskHistory

HISTORY_LIMIT = 50_000  # the newest completions read per dashboard; enough for months of a region


@dataclass(frozen=True)
class Target:
    model_id: str
    task_name: str  # the step whose completion ends the measured time (from the instance's start)
    low: timedelta
    high: timedelta
    label: str  # N_ msgid


TARGETS = (
    Target("consultation_application", "review", timedelta(days=1), timedelta(days=3),
           N_("Application to scheduling (target 1–3 days)")),
    Target("consultation_referral", "review", timedelta(days=2), timedelta(days=4),
           N_("Referral to scheduling (target 2–4 days)")),
)  # fmt: skip


@dataclass
class StepTime:
    task_name: str
    title: str
    count: int
    median_hours: float
    target_hours: float | None = None  # the step's own target, where the BPMN declares one (step_targets)


@dataclass
class Wait:
    task_name: str
    title: str
    count: int
    median_hours: float
    overdue: int  # past their due date
    target_hours: float | None = None


@dataclass
class TargetResult:
    target: Target
    within: int = 0
    faster: int = 0
    over: int = 0
    waiting_over: int = 0  # still waiting, already past the upper bound
    median_hours: float | None = None


@dataclass
class PathwayStats:
    model_id: str
    title: str
    statuses: dict[str, int] = field(default_factory=dict)
    steps: list[StepTime] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    targets: list[TargetResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def overview(session: Session, since: datetime | None = None) -> list[PathwayStats]:
    moment = now()
    since = since or moment - timedelta(days=90)
    stats = {
        m.id: PathwayStats(m.id, m.title)
        for m in session.scalars(select(ProcessModel).order_by(ProcessModel.id))
    }
    for model_id, status, count in session.execute(
        select(ProcessInstance.process_model_id, ProcessInstance.status, func.count())
        .where(ProcessInstance.created_at >= since)
        .group_by(ProcessInstance.process_model_id, ProcessInstance.status)
    ):
        if model_id in stats:
            stats[model_id].statuses[status] = count
    _steps(session, stats, since)
    _waits(session, stats, moment)
    for pathway in stats.values():
        targets = step_targets(session, pathway.model_id) if pathway.steps or pathway.waits else {}
        for item in (*pathway.steps, *pathway.waits):
            if item.task_name in targets:
                item.target_hours = _hours(targets[item.task_name])
    return [s for s in stats.values()]


def _steps(session: Session, stats: dict[str, PathwayStats], since: datetime) -> None:
    rows = session.execute(
        select(TaskHistory.instance_id, TaskHistory.task_name, TaskHistory.title, TaskHistory.completed_at,
               ProcessInstance.process_model_id, ProcessInstance.created_at)
        .join(ProcessInstance, ProcessInstance.id == TaskHistory.instance_id)
        .where(ProcessInstance.created_at >= since)
        .order_by(TaskHistory.instance_id, TaskHistory.completed_at, TaskHistory.id)
        .limit(HISTORY_LIMIT)
    ).all()  # fmt: skip
    durations: dict[tuple[str, str], list[timedelta]] = defaultdict(list)
    titles: dict[tuple[str, str], str] = {}
    reached: dict[tuple[str, str], list[timedelta]] = defaultdict(list)  # from start to a step's completion
    previous: dict[int, datetime] = {}
    for row in rows:
        started = as_utc(row.created_at)
        done = as_utc(row.completed_at)
        key = (row.process_model_id, row.task_name)
        durations[key].append(done - previous.get(row.instance_id, started))
        reached[key].append(done - started)
        titles[key] = row.title
        previous[row.instance_id] = done
    for (model_id, task_name), values in durations.items():
        if model_id in stats:
            stats[model_id].steps.append(
                StepTime(task_name, titles[(model_id, task_name)], len(values), _hours(median(values)))
            )
    for target in TARGETS:
        if target.model_id not in stats:
            continue
        result = TargetResult(target)
        values = reached.get((target.model_id, target.task_name), [])
        for value in values:
            if value < target.low:
                result.faster += 1
            elif value <= target.high:
                result.within += 1
            else:
                result.over += 1
        result.median_hours = _hours(median(values)) if values else None
        stats[target.model_id].targets.append(result)


def _waits(session: Session, stats: dict[str, PathwayStats], moment: datetime) -> None:
    ages: dict[tuple[str, str], list[timedelta]] = defaultdict(list)
    overdue: dict[tuple[str, str], int] = defaultdict(int)
    titles: dict[tuple[str, str], str] = {}
    started: dict[int, datetime] = {}
    rows = session.execute(
        select(PendingTask.process_model_id, PendingTask.task_name, PendingTask.title, PendingTask.created_at,
               PendingTask.due_at, PendingTask.instance_id, ProcessInstance.created_at.label("started_at"))
        .join(ProcessInstance, ProcessInstance.id == PendingTask.instance_id)
    ).all()  # fmt: skip
    for row in rows:
        key = (row.process_model_id, row.task_name)
        ages[key].append(moment - as_utc(row.created_at))
        titles[key] = row.title
        started[row.instance_id] = as_utc(row.started_at)
        if row.due_at is not None and as_utc(row.due_at) < moment:
            overdue[key] += 1
    for (model_id, task_name), values in ages.items():
        if model_id in stats:
            stats[model_id].waits.append(
                Wait(
                    task_name,
                    titles[(model_id, task_name)],
                    len(values),
                    _hours(median(values)),
                    overdue[(model_id, task_name)],
                )
            )
    for pathway in stats.values():
        for result in pathway.targets:
            target = result.target
            result.waiting_over = sum(
                1 for row in rows
                if row.process_model_id == target.model_id and moment - started[row.instance_id] > target.high
            )  # fmt: skip
