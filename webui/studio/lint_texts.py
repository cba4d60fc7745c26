"""What each bpmnlint rule means, in words an analyst reads in their own language.

bpmnlint reports English sentences; the studio shows ours, by rule, and keeps the rule's name (it is what
the bpmnlint documentation is searched by). A rule missing here shows bpmnlint's English text."""

from __future__ import annotations

from flask_babel import gettext

from engine.i18n import N_

LINT_RULES = {
    "ad-hoc-sub-process": N_("An ad-hoc sub-process is not supported here."),
    "conditional-flows": N_("A flow leaving this element needs a condition (or mark one flow as the default)."),
    "end-event-required": N_("The process needs an end event."),
    "event-based-gateway": N_("An event-based gateway must lead to events (messages, timers) only."),
    "event-sub-process-typed-start-event": N_("The start event of an event sub-process needs a type (message, timer…)."),
    "fake-join": N_("Several flows enter this task without a gateway: add a joining gateway."),
    "global": N_("This element is defined more than once or is not used."),
    "label-required": N_("The element needs a name."),
    "link-event": N_("Link events must come in matching pairs with the same name."),
    "no-bpmndi": N_("The element is not drawn in the diagram."),
    "no-complex-gateway": N_("A complex gateway is not supported here."),
    "no-disconnected": N_("The element is not connected to the rest of the process."),
    "no-duplicate-sequence-flows": N_("Two sequence flows connect the same elements."),
    "no-gateway-join-fork": N_("A gateway should either join or split flows, not both."),
    "no-implicit-split": N_("Several flows leave this element without a gateway: add a splitting gateway."),
    "no-implicit-end": N_("The element has no outgoing flow: end the path with an end event."),
    "no-implicit-start": N_("The element has no incoming flow: start the path with a start event."),
    "no-inclusive-gateway": N_("An inclusive gateway is not recommended; use exclusive or parallel gateways."),
    "no-overlapping-elements": N_("Elements overlap in the diagram."),
    "single-blank-start-event": N_("The process may have only one start event without a type."),
    "single-event-definition": N_("An event may have only one definition (message, timer…)."),
    "start-event-required": N_("The process needs a start event."),
    "sub-process-blank-start-event": N_("A sub-process needs a start event without a type."),
    "superfluous-gateway": N_("This gateway has one flow in and one out: it can be removed."),
    "superfluous-label": N_("This element's name is not shown anywhere: it can be removed."),
    "superfluous-termination": N_("A terminate end event is not needed here: a plain end event does the same."),
}


def lint_text(rule: str | None, message: str) -> str:
    """The finding for the studio: our sentence for a known rule, bpmnlint's own otherwise; with the rule."""
    known = LINT_RULES.get(rule or "")
    text = gettext(known) if known else message
    return f"{text} ({rule})" if rule else text
