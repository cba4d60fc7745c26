"""Sample results the test run can use, generated so that the analyst need not read other files to guess
them: for each service operator a model's service tasks name, the usual result its connector declares
(`registry.register(name, fn, sample={...})`, else an empty result); for each process a call activity
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
    """{"services": {operator: result}, "called": {process id: {"model": id, "data": sample}}}.

    The operators include those of the models the draft calls (and those they call): the test run
    walks the called processes too, and a called model's service task with no result stops the walk.
    """
    # Which deployed model defines each process in its own files (a version's process_sources also hold
    # the processes it calls, copied in at deploy, which would lead to the caller instead).
    defined_in: dict[str, tuple[Any, list[Any]]] = {}
    for version in latest_versions(session, except_model=model_id):
        version_roots = _roots(version.files)
        for root in version_roots:
            for process in root.iter(f"{BPMN}process"):
                defined_in.setdefault(process.get("id"), (version, version_roots))
    roots, called = _roots(files), {}
    pending = list(roots)
    while pending:
        root = pending.pop()
        own = {p.get("id") for p in root.iter(f"{BPMN}process")}
        for process_id in {c.get("calledElement") for c in root.iter(f"{BPMN}callActivity")} - own:
            if process_id in called or process_id not in defined_in:
                continue
            version, callee_roots = defined_in[process_id]
            called[process_id] = {"model": version.process_model_id, "data": _form_samples(version.files, now())}
            roots.extend(callee_roots)
            pending.extend(callee_roots)
    services: dict[str, Any] = {}
    for root in roots:
        for node in root.iter(f"{SPIFF}serviceTaskOperator"):
            operator = node.get("id") or ""
            services[operator] = registry.sample(operator, now()) if operator in registry else {}
    return {"services": services, "called": called}
