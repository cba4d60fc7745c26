"""Checking an exported FHIR Bundle: parsed by fhir.resources' R4B models (pydantic; R4B is R4 with a few
resources we do not use changed), plus the bundle rules a parser does not check: urn:uuid fullUrls equal
to the ids, every reference resolving inside the bundle, and responses that fit their Questionnaires."""

from __future__ import annotations

import re
from typing import Any

from fhir.resources.R4B.bundle import Bundle

UUID_URN = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for value in node for r in _references(value)]
    return []


def check_bundle(data: dict[str, Any]) -> Bundle:
    parsed = Bundle.model_validate(data)
    urls = [e["fullUrl"] for e in data["entry"]]
    assert len(set(urls)) == len(urls), "fullUrls repeat"
    for entry in data["entry"]:
        assert UUID_URN.match(entry["fullUrl"]), entry["fullUrl"]
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    dangling = set(_references(data)) - set(urls)
    assert not dangling, f"references to nothing in the bundle: {dangling}"
    questionnaires = {r["url"]: r for r in resources(data, "Questionnaire")}
    for response in resources(data, "QuestionnaireResponse"):
        items = {i["linkId"]: i for i in questionnaires[response["questionnaire"]]["item"]}
        for answered in response["item"]:
            assert answered["linkId"] in items, f"{answered['linkId']} is not in the questionnaire"
            if len(answered.get("answer", [])) > 1:
                assert items[answered["linkId"]].get("repeats"), f"{answered['linkId']} answered twice, not repeats"
    return parsed


def resources(data: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == resource_type]
