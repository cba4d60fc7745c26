"""Connector registry: what a service task's `spiffworkflow:serviceTaskOperator` names.

The app composition registers one callable per operation (send notification, create meeting link,
request conclusion PDF, book slot...). A connector runs inside the engine step's write transaction (and
holds SQLite's write lock meanwhile), so it must be quick: slow work is enqueued (an outbox row, a
Prefect flow run), never awaited. Its result dict is stored in the task data under the service task's
result variable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class InstanceContext:
    """What a connector may know about the instance that calls it."""

    instance_id: int
    process_model_id: str
    version_id: int
    patient_id: int | None
    task_name: str
    data: Mapping[str, Any]  # a read-only view of the task data; parameters are the intended input


Connector = Callable[[Session, InstanceContext, dict[str, Any]], Mapping[str, Any] | None]
Sample = Mapping[str, Any] | Callable[[datetime], Mapping[str, Any]]


class ConnectorRegistry:
    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}
        self._samples: dict[str, Sample] = {}

    def register(self, name: str, connector: Connector | None = None, *, sample: Sample | None = None) -> Any:
        """`registry.register("notify", fn)`, or as a decorator `@registry.register("notify")`.

        `sample` is what the connector returns on its usual path, in shape and kind: the studio's test run
        offers it as the simulated result, so that an analyst can walk a pathway without reading code. A
        result with times is a function of the moment the test run starts (a hold that ends in an hour).
        """

        def add(fn: Connector) -> Connector:
            if name in self._connectors and self._connectors[name] is not fn:
                raise ValueError(f"connector {name!r} is already registered")
            self._connectors[name] = fn
            if sample is not None:
                self._samples[name] = sample
            return fn

        return add(connector) if connector is not None else add

    def names(self) -> frozenset[str]:
        return frozenset(self._connectors)

    def connector(self, name: str) -> Connector | None:
        return self._connectors.get(name)

    def sample(self, name: str, at: datetime) -> dict[str, Any]:
        """The declared usual result of a connector for a run starting `at` ({} when none is declared)."""
        declared = self._samples.get(name) or {}
        return dict(declared(at) if callable(declared) else declared)

    def __contains__(self, name: object) -> bool:
        return name in self._connectors

    def call(self, name: str, session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        try:
            connector = self._connectors[name]
        except KeyError:
            # Deploy refuses unknown operators, but a connector can disappear between deploy and run.
            raise LookupError(f"no connector named {name!r} is registered") from None
        return connector(session, context, params) or {}


def echo(_session: Session, _context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    """Returns its parameters: handy for demos and for tests of the service-task path."""
    return dict(params)
default_registry = ConnectorRegistry()
