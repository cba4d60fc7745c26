"""What both studio route modules use: who may work in the studio."""

from __future__ import annotations

from engine import roles

ANALYSTS = (roles.ANALYST, roles.ADMIN)
