"""Service-task operators of the `ticket_booking` pathway (workflows/bpmn/ticket_booking/).

`register(registry)` adds them to a ConnectorRegistry; the app composition calls it once on the registry
it gives the engine (web app and the timer tick alike, since a timer runs `registry_annul`). Each runs
inside the engine step's transaction and only writes rows (tickets, slots, outbox): nothing slow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import now
from engine.registry import messages, tickets
from engine.registry.models import T_ANNULLED, T_CONFIRMED
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, Sample
from engine.workflow.sandbox import parse_duration

REQUIRED_STATUS = {"ticket_confirmed": T_CONFIRMED, "ticket_annulled": T_ANNULLED}
OPERATORS = (
    "registry_hold_slot", "registry_send_code", "registry_check_code", "registry_confirm", "registry_annul",
    "registry_notify",
)


# The usual result of each operator, offered by the studio's test run (see ConnectorRegistry.register).
SAMPLES: dict[str, Sample] = {
    "registry_hold_slot": lambda at: {"held": True, "needs_code": True, "ticket_id": 1, "number": "A-001",
                                      "expires_at": (at + timedelta(hours=1)).isoformat()},
    "registry_send_code": {"sent": True, "channel": "email"},
    "registry_check_code": {"result": "ok", "attempts_left": 4},
    "registry_confirm": {"confirmed": True},
    "registry_annul": {"annulled": True},
    "registry_notify": {"sent": True},
}


def hold_slot(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    booking = dict(params["booking"])
    hold_until = now() + parse_duration(str(params.get("hold_for") or "PT1H"), now())
    user_id = int(context.patient_id if context.patient_id is not None else booking["user_id"])
    result = tickets.hold(session, slot_id=int(booking["slot_id"]), user_id=user_id, person=booking,
                          hold_until=hold_until, instance_id=context.instance_id)
    result["needs_code"] = not booking.get("from_cabinet")
    return result


def send_code(session: Session, _context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    ticket = tickets.get_ticket(session, int(params["ticket_id"]))
    code = tickets.new_code(session, ticket, int(params.get("max_attempts") or 5))
    session.flush()
    sent = messages.notify(session, ticket, "ticket_code", link=str(params.get("link") or ""),
                           extra={"code": code, "valid_until": messages.hold_end(session, ticket)})
    return {"sent": sent, "channel": ticket.code_channel}


def check_code(session: Session, _context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    ticket = tickets.get_ticket(session, int(params["ticket_id"]), for_update=True)
    result = tickets.check_code(session, ticket, str(params.get("code") or ""))
    return {"result": result, "attempts_left": max(ticket.code_attempts_max - ticket.code_attempts, 0)}


def confirm(session: Session, _context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    ticket = tickets.get_ticket(session, int(params["ticket_id"]), for_update=True)
    return {"confirmed": tickets.confirm(session, ticket, ip=str(params.get("ip") or ""))}


def annul(session: Session, _context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    ticket = tickets.get_ticket(session, int(params["ticket_id"]), for_update=True)
    return {"annulled": tickets.annul(session, ticket, reason=str(params.get("reason") or "timeout"))}


def notify(session: Session, _context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    ticket = tickets.get_ticket(session, int(params["ticket_id"]))
    kind = str(params["kind"])
    # A ticket that ended another way meanwhile (cancelled by the clinic) gets no contradicting message.
    if REQUIRED_STATUS.get(kind, ticket.status) != ticket.status:
        return {"sent": False}
    sent = messages.notify(session, ticket, kind, link=str(params.get("link") or ""),
                           base_url=str(params.get("base_url") or ""))
    return {"sent": sent}


def register(registry: ConnectorRegistry) -> ConnectorRegistry:
    for name, fn in zip(OPERATORS, (hold_slot, send_code, check_code, confirm, annul, notify), strict=True):
        if name not in registry:
            registry.register(name, fn, sample=SAMPLES[name])
    return registry
