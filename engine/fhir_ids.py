"""Ids of the FHIR resources CarePath exports: a resource's id is a UUID derived from what it is (type and
local id), so the same object has the same id in every export and a receiver can recognise it again, and
each Bundle entry's fullUrl is that UUID as a `urn:uuid:` (FHIR's way for resources with no server URL).
References inside a bundle point at those fullUrls."""

from __future__ import annotations

import uuid
from typing import Any

from engine.clock import now

# Fixed for CarePath: changing it would give every exported object a new identity.
NAMESPACE = uuid.UUID("5c0e6f6e-2a7b-4c1e-9d3a-8f6a1c2b7e21")


def rid(resource_type: str, local_id: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{resource_type}/{local_id}"))


def urn(resource_type: str, local_id: Any) -> str:
    return f"urn:uuid:{rid(resource_type, local_id)}"


def ref(resource_type: str, local_id: Any, display: str = "") -> dict[str, str]:
    return {"reference": urn(resource_type, local_id), **({"display": display} if display else {})}


def collection(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A `collection` Bundle; each resource's id must be a UUID made by rid()."""
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection", "timestamp": now().isoformat(),
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}
