"""Sample results the test run can use, generated so that the analyst need not read other files to guess
them: for each service operator a model's service tasks name, the outputs its connector declares (a
connector function may carry `outputs = {...}`, else an empty result); for each process a call activity
reaches in another deployed model, the data that model's forms add by its end (sample answers)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from engine.clock import now
from engine.studio.samples import sample_for
from engine.workflow.connectors import ConnectorRegistry
from engine.workflow.deploy import latest_versions

SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def _roots(files: Mapping[str, str]) -> list[Any]:
    roots = []
    for path, text in sorted(files.items()):
        if path.endswith(".bpmn"):
            try:
                roots.append(etree.fromstring(text.encode("utf-8"), _PARSER))
            except etree.XMLSyntaxError:
                continue  # validation reports it
    return roots


def _form_samples(files: Mapping[str, str], at: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for root in _roots(files):
        for prop in root.iter(f"{SPIFF}property"):
            if prop.get("name") != "formJsonSchemaFilename":
                continue
            name = prop.get("value") or ""
            text = files.get(name) or files.get(f"forms/{name}")
            try:
                data.update(sample_for(json.loads(text), at) if text else {})
            except ValueError:
                continue
    return data


def suggested_results(
    session: Session, model_id: str, files: Mapping[str, str], registry: ConnectorRegistry
) -> dict[str, Any]:
    """{"services": {operator: result}, "called": {process id: {"model": id, "data": sample}}}."""
    roots = _roots(files)
    services: dict[str, Any] = {}
    for root in roots:
        for node in root.iter(f"{SPIFF}serviceTaskOperator"):
            operator = node.get("id") or ""
            declared = getattr(registry.connector(operator), "outputs", None) if operator in registry else None
            services[operator] = dict(declared) if isinstance(declared, Mapping) else {}
    own = {p.get("id") for root in roots for p in root.iter(f"{BPMN}process")}
    wanted = {c.get("calledElement") for root in roots for c in root.iter(f"{BPMN}callActivity")} - own
    called: dict[str, Any] = {}
    for version in latest_versions(session, except_model=model_id):
        for process_id in wanted & set(version.process_sources):
            called[process_id] = {"model": version.process_model_id, "data": _form_samples(version.files, now())}
    return {"services": services, "called": called}
