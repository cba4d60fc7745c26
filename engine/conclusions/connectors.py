"""Service-task operators for the consultation pathways (BPMN `spiffworkflow:serviceTaskOperator`).

- `request_conclusion`: a pending conclusion, signed and emailed by the conclusions flow.
  Parameters (each falls back to the task-data key of the same name, then to the `conclusion` dict
  in the task data, where a doctor's conclusion form would put them): `patient_id` (else the
  instance's patient), `doctor_id`, `diagnosis_code`, `diagnosis_text`, `findings`,
  `recommendations`, `follow_up`; optional `reference` (default `instance:<id>`).
  Result: `{"conclusion_id", "verification_code"}`.
- `record_consent`: the patient accepted the telemedicine consent (ИДС); its signed PDF follows.
  Parameters (same fallbacks, dict `consent`): `patient_id`, optional `locale`, `version` (the version
  shown; a changed text is refused), `accepted_at` (ISO time; default now), `ip`, `doctor_id`,
  `reference`. Result: `{"consent_id", "version"}`.

Both only write rows in the engine step's transaction; the PDFs are made after it commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.conclusions import service
from engine.workflow.connectors import ConnectorRegistry, InstanceContext

OPERATORS = ("request_conclusion", "record_consent")
# The usual result of each operator, offered by the studio's test run (see ConnectorRegistry.register).
SAMPLES: dict[str, Mapping[str, Any]] = {
    "request_conclusion": {"conclusion_id": 1, "verification_code": "SAMPLE-CODE"},
    "record_consent": {"consent_id": 1, "version": "1"},
}


def _value(context: InstanceContext, params: Mapping[str, Any], group: str, name: str) -> Any:
    if params.get(name) not in (None, ""):
        return params[name]
    if context.data.get(name) not in (None, ""):
        return context.data[name]
    nested = context.data.get(group)
    return nested.get(name) if isinstance(nested, Mapping) else None


def _patient(context: InstanceContext, params: Mapping[str, Any], group: str) -> Any:
    value = _value(context, params, group, "patient_id")
    return value if value is not None else context.patient_id


def request_conclusion(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    get = lambda name: _value(context, params, "conclusion", name)  # noqa: E731
    conclusion = service.request_conclusion(
        session,
        patient_id=_patient(context, params, "conclusion"),
        doctor_id=get("doctor_id"),
        reference=str(get("reference") or f"instance:{context.instance_id}"),
        diagnosis_code=str(get("diagnosis_code") or ""),
        diagnosis_text=str(get("diagnosis_text") or ""),
        findings=str(get("findings") or ""),
        recommendations=str(get("recommendations") or ""),
        follow_up=str(get("follow_up") or ""),
    )
    return {"conclusion_id": conclusion.id, "verification_code": conclusion.verification_code}


def record_consent(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    get = lambda name: _value(context, params, "consent", name)  # noqa: E731
    accepted = get("accepted_at")
    if isinstance(accepted, str):
        accepted = datetime.fromisoformat(accepted)
    doctor_id = get("doctor_id")
    record = service.record_consent(
        session,
        patient_id=_patient(context, params, "consent"),
        reference=str(get("reference") or f"instance:{context.instance_id}"),
        locale=get("locale"),
        version=str(get("version")) if get("version") is not None else None,
        ip=str(get("ip") or ""),
        doctor_id=int(doctor_id) if doctor_id not in (None, "") else None,
        accepted_at=accepted if isinstance(accepted, datetime) and accepted.tzinfo else None,
    )
    return {"consent_id": record.id, "version": record.version}


def register(registry: ConnectorRegistry) -> ConnectorRegistry:
    for name, fn in zip(OPERATORS, (request_conclusion, record_consent), strict=True):
        if name not in registry:
            registry.register(name, fn, sample=SAMPLES[name])
    return registry
