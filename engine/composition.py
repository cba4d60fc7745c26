"""The app's composition root for the workflow engine: which service-task operators exist.

`build_connectors(settings)` returns a fresh `ConnectorRegistry` with the platform's standard
operators, then lets every package listed in `REGISTRARS` add its own: a module there only needs a
function `register(registry)`. Adding a package is one line in that tuple; a listed module that is not
installed (yet) is skipped, so the list can name packages other engineers are still building.

Standard operators:
- `send_notification` (params: `kind`, `to`, optional `context`, `dedupe_key`, `channel`): queues an
  outbox message in the step's transaction. `to` is a user id, or a role name whose `<role>_id` is in the
  task data (`"patient"` -> `patient_id`); the message goes to that account's address in its language.
- `echo`: returns its parameters (demos, and tests of the service-task path).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine import outbox
from engine.accounts import groups
from engine.accounts.models import User
from engine.config import LOCALES, Settings
from engine.workflow import limits, spiffarena_helpers
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, echo

# Modules with `register(registry)`; imported if present. One line per package.
REGISTRARS: tuple[str, ...] = (
    "engine.registry.connectors",
    "engine.monitoring.connectors",
    "engine.conclusions.connectors",
    "engine.rehab.connectors",
    "engine.consultations.connectors",
    "engine.payments.connectors",
)

KIND = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MAIL_TEMPLATES = Path(__file__).resolve().parents[1] / "integrations" / "templates"


class ConnectorError(ValueError):
    """A service task called an operator with parameters it cannot use; the instance goes to `error`."""


def _recipient(session: Session, context: InstanceContext, to: Any) -> User:
    user_id = to
    if isinstance(to, str) and not to.isdigit():
        user_id = context.data.get(f"{to}_id")
    try:
        user = session.get(User, int(user_id)) if user_id is not None and not isinstance(user_id, bool) else None
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise ConnectorError(f"send_notification: no account for recipient {to!r}")
    return user


def send_notification(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    kind = str(params.get("kind", ""))
    channel = str(params.get("channel", outbox.EMAIL))
    if not KIND.match(kind):
        raise ConnectorError(f"send_notification: {kind!r} is not a message kind")
    folder = {"email": "mail", "sms": "sms"}.get(channel)
    if folder is None or not (MAIL_TEMPLATES / folder / f"{kind}.txt").is_file():
        raise ConnectorError(f"send_notification: there is no {channel} template for {kind!r}")
    extra = params.get("context") or {}
    if not isinstance(extra, Mapping):
        raise ConnectorError("send_notification: context must be a mapping")
    user = _recipient(session, context, params.get("to", "patient"))
    address = user.email if channel == outbox.EMAIL else user.phone
    if not address:  # no email yet (a patient reached by SMS until activation) or no phone: nothing to send to
        return {"queued": False, "message_id": None}
    dedupe = params.get("dedupe_key")
    message = outbox.enqueue(
        session,
        kind=kind,
        to=address,
        context={"instance_id": context.instance_id, "name": user.first_name, **dict(extra)},
        locale=user.locale if user.locale in LOCALES else LOCALES[0],
        dedupe_key=str(dedupe) if dedupe else None,
        channel=channel,
        user_id=user.id,
    )
    return {"queued": message is not None, "message_id": message.id if message is not None else None}


class _AccountPeople:
    """SpiffArena's helpers look people up here (engine.workflow.spiffarena_helpers.People)."""

    def user(self, session: Session, user_id: int) -> dict[str, Any] | None:
        found = session.get(User, user_id)
        return groups.user_dict(found) if found is not None else None

    def group_members(self, session: Session, group: str) -> list[str] | None:
        return groups.member_emails(session, group)


def _configure_spiffarena_helpers(settings: Settings | None) -> None:
    env = os.environ.get("CAREPATH_ENV_NAME", "carepath")
    spiffarena_helpers.configure(env, settings.base_url if settings else "", _AccountPeople())


def build_connectors(settings: Settings | None = None) -> ConnectorRegistry:
    """The registry the web app, the CLI and the timer tick pass to the engine; with the settings, it also
    sets the budget of pathway code in this process (background work runs under the web's limits)."""
    if settings is not None:
        limits.configure(settings.script_time_limit, settings.script_memory_mb)
    registry = ConnectorRegistry()
    _configure_spiffarena_helpers(settings)
    registry.register("send_notification", send_notification, sample={"queued": True, "message_id": 1})
    registry.register("echo", echo)
    for name in REGISTRARS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # Only "this package is not there yet" is skipped; a broken import inside it is an error.
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        register = getattr(module, "register", None)
        if not callable(register):
            raise TypeError(f"{name} is listed in REGISTRARS but has no register(registry)")
        # A registrar may take the settings too (e.g. a video provider's URL): register(registry, settings).
        if len(inspect.signature(register).parameters) >= 2:
            register(registry, settings)
        else:
            register(registry)
    return registry
