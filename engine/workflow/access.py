"""Who may see and complete a pending task.

A lane name is a role. Who exactly gets a task comes from the task data, by one rule for every role R:
- `R_id` in the data (e.g. `patient_id`, `doctor_id`, `instructor_id`): that user is the assignee;
- else `R_group` (e.g. `doctor_group = "institution:5:doctor"`): a queue; any member of the group with
  role R sees it and may claim it; a claimed task is then only the claimer's;
- else anyone holding role R (e.g. a regional `manager` queue) -- except `patient`: a patient task
  without `patient_id` is nobody's.
A task is always checked against the role too, so an id in the wrong field never opens a task to a
person without that role.

Lanes written for SpiffArena (see `lane_assignment`) hold no role: their rows carry the role ANY_ROLE,
and who may act is decided by the assignee or the candidate group alone:
- no lane, or a lane named like "Process Initiator": the person who started the instance;
- any other lane name is a group an admin manages (`group:<lane name>`), unless the task data's
  `lane_owners` dictionary names that lane's people (emails or user ids, or `group:<name>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine import roles
from engine.i18n import N_, Forbidden, NotFound, UserError

# Lanes that may hold user tasks. Admin is not a lane: admins configure, they do not take part.
LANE_ROLES = tuple(role for role in roles.ROLES if role != roles.ADMIN)
# Roles whose tasks are always personal: a patient task without a patient is nobody's, not everyone's.
PERSONAL_ROLES = frozenset({roles.PATIENT})
# Who may retry a failed instance or cancel one: the people who run pathways, not those in them.
INSTANCE_ADMINS = frozenset({roles.MANAGER, roles.ANALYST, roles.ADMIN})
# The role of a task in no role lane (SpiffArena's lanes): who acts is the assignee or the group alone.
ANY_ROLE = "*"
GROUP_PREFIX = "group:"
# An institution's queues: `institution:<id>:doctor`, `institution:<id>:specialty:<id>` (its doctors of a
# specialty); members come from the registry's posts (engine.consultations.centers.doctor_groups).
INSTITUTION_PREFIX = "institution:"
# lane_owners naming several people: the row's candidate group lists them, "owners:|a@x|7|group:b|".
OWNERS_PREFIX = "owners:"
# SpiffArena's rule: a lane called "process initiator" (any spacing or case) is the starter's.
INITIATOR_LANE = re.compile(r"(process.?)initiator", re.IGNORECASE)


@dataclass(frozen=True)
class Actor:
    """The person acting, as the engine needs to know them (no dependency on the accounts model)."""

    user_id: int
    roles: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[str] = field(default_factory=frozenset)
    email: str | None = None  # lane_owners name people by email, as SpiffArena's do by username

    def owner_keys(self) -> list[str]:
        """How a `lane_owners` list may name this person: id, email, or one of their groups."""
        keys = [str(self.user_id)] + ([self.email.lower()] if self.email else [])
        return keys + sorted(g for g in self.groups if g.startswith(GROUP_PREFIX))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & INSTANCE_ADMINS)


@dataclass(frozen=True)
class Assignment:
    role: str
    assignee_user_id: int | None
    candidate_group: str | None


def resolve_assignment(role: str, data: dict[str, Any]) -> Assignment:
    assignee = data.get(f"{role}_id")
    group = data.get(f"{role}_group")
    if isinstance(assignee, str) and assignee.isdigit():
        assignee = int(assignee)
    if not isinstance(assignee, int) or isinstance(assignee, bool):
        assignee = None
    return Assignment(role, assignee, str(group) if group and assignee is None else None)


def lane_assignment(lane: str | None, data: dict[str, Any], started_by: int | None) -> Assignment:
    """Who gets a task: by role for a role lane, else by SpiffArena's rules (module docstring)."""
    if lane in LANE_ROLES:
        return resolve_assignment(lane, data)
    if not lane or INITIATOR_LANE.fullmatch(lane.strip()):
        return Assignment(ANY_ROLE, started_by, None)
    owners = data.get("lane_owners")
    named = owners.get(lane) if isinstance(owners, dict) else None
    if isinstance(named, list | tuple) and named:
        # Emails are compared case-blind; group names are kept as written (a lane's name is a group's).
        keys = sorted({k if k.startswith(GROUP_PREFIX) else k.lower() for k in (str(o).strip() for o in named) if k})
        if len(keys) == 1 and keys[0].isdigit():
            return Assignment(ANY_ROLE, int(keys[0]), None)
        if len(keys) == 1 and keys[0].startswith(GROUP_PREFIX):
            return Assignment(ANY_ROLE, None, keys[0])
        return Assignment(ANY_ROLE, None, (OWNERS_PREFIX + "|" + "|".join(keys) + "|")[:200])
    return Assignment(ANY_ROLE, None, GROUP_PREFIX + lane.strip())


def may_act(actor: Actor, role: str, assignee: int | None, group: str | None, claimed_by: int | None) -> bool:
    if role == ANY_ROLE:
        if assignee is not None:
            return assignee == actor.user_id
        if claimed_by is not None:
            return claimed_by == actor.user_id
        if group and group.startswith(OWNERS_PREFIX):
            return any(f"|{key}|" in group for key in actor.owner_keys())
        return group is not None and group in actor.groups
    if role not in actor.roles:
        return False
    if assignee is not None:
        return assignee == actor.user_id
    if role in PERSONAL_ROLES:
        return False
    if claimed_by is not None:
        return claimed_by == actor.user_id
    return group is None or group in actor.groups


def require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden(N_("Only staff may do this."))


def refusal(actor: Actor, role: str, group: str | None = None) -> UserError:
    """What a person who may not act on a task is told. A patient (no staff role) learns nothing of a task
    that is not theirs, not even that it exists: 404; nor does staff of another institution learn of a
    task in an institution's queue. Staff, who see pathways from their pages, are otherwise told it is not
    theirs: 403."""
    if not actor.roles & roles.STAFF_ROLES or (group and group.startswith(INSTITUTION_PREFIX)
                                               and group not in actor.groups):
        return NotFound(N_("There is no such task."))
    return Forbidden(N_("This task is not yours."))
