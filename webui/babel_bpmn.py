"""Babel extractors for pathway models: BPMN task names and instructions, DMN texts, model.json titles.

Registered in babel.cfg (``bpmn = webui.babel_bpmn:extract_bpmn``, ``dmn = webui.babel_bpmn:extract_dmn``,
``pathway_manifest = webui.babel_bpmn:extract_manifest``). What is extracted is what CarePath shows people through the
``authored`` filter (`forms.authored`):

- the names of user and manual tasks: task titles in the inbox, on the task page and in an instance's
  history;
- ``instructionsForEndUser`` (SpiffArena's property or element), each template as ONE msgid, Jinja
  expressions and Markdown included, so the translator can reorder the sentence around ``{{ ... }}``;
- process names (the pathway's title when model.json gives none), and model.json's (or SpiffArena's
  process_model.json's) title and description, shown in the inbox and on the start page;
- in DMN decision tables, string outputs that are sentences (a quoted literal with a space, such as an
  alert's reason, which the pages show through gettext); one-word literals are codes the process
  compares (``"urgent"``) and stay out;
- every other name the diagram draws (events, gateways, service and script tasks, labels of flows, pools,
  text annotations): the instance page shows the diagram with them in the reader's language
  (`webui.diagram_names`); an element counts as drawn when the file's BPMNDI has a shape or an edge for it.

Not extracted, on purpose: lane names that are role keys (``patient``, ``doctor``...), which the engine
matches and the diagram shows through the translated role labels; names nothing draws (messages,
correlation properties, data items), which only the engine and the analyst read; ``documentation``, the
analyst's notes (requirement ids, technical detail), shown to nobody but analysts in the studio.

The XML is parsed with lxml without entities or network (the files are ours, but a parser of XML should
never fetch anything), and SpiffWorkflow is not imported: only engine/ does that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml import etree

from engine.roles import ROLES

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
NAMED = frozenset({f"{BPMN}userTask", f"{BPMN}manualTask", f"{BPMN}process"})
INSTRUCTIONS = "instructionsForEndUser"
INSTRUCTIONS_NOTE = ("A Jinja template in Markdown, translated whole: keep every {{ ... }} and {% ... %} as it "
                     "is, move it where Russian word order needs it.")
DMN_NAMESPACES = ("http://www.omg.org/spec/DMN/20151101/dmn.xsd", "https://www.omg.org/spec/DMN/20191111/MODEL/",
                  "http://www.omg.org/spec/DMN/20180521/MODEL/")
MANIFEST_KEYS = ("title", "description", "display_name")
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DRAWN_NOTE = "A label on the pathway's diagram."

Extracted = tuple[int, None, str, list[str]]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def drawn_ids(root: Any) -> set[str]:
    """Ids of the elements the file's diagrams draw (a BPMNShape or BPMNEdge points at each)."""
    return {node.get("bpmnElement") for node in root.iter(f"{BPMNDI}BPMNShape", f"{BPMNDI}BPMNEdge")
            if node.get("bpmnElement")}  # fmt: skip


def drawn_labels(root: Any) -> Iterator[tuple[Any, str | None]]:
    """(element, attribute) of each label the diagrams draw: the ``name`` of a drawn element, or the text of a
    drawn text annotation (attribute None: the element's text)."""
    drawn = drawn_ids(root)
    for node in root.iter(f"{BPMN}*"):
        if node.get("id") not in drawn:
            continue
        if node.tag == f"{BPMN}textAnnotation":
            text = node.find(f"{BPMN}text")
            if text is not None and (text.text or "").strip():
                yield text, None
        elif (node.get("name") or "").strip():
            yield node, "name"


def _texts(root: Any) -> Iterator[tuple[int, str, list[str]]]:
    named = set()
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue  # comments and processing instructions
        if node.tag in NAMED and (node.get("name") or "").strip():
            named.add(node)
            yield node.sourceline or 1, node.get("name"), []
        elif node.tag == f"{SPIFF}property" and node.get("name") == INSTRUCTIONS and (node.get("value") or "").strip():
            yield node.sourceline or 1, node.get("value"), [INSTRUCTIONS_NOTE]
        elif node.tag == f"{SPIFF}{INSTRUCTIONS}" and (node.text or "").strip():
            yield node.sourceline or 1, node.text, [INSTRUCTIONS_NOTE]
    for node, attribute in drawn_labels(root):
        if node in named or (node.tag == f"{BPMN}lane" and node.get("name") in ROLES):
            continue
        yield node.sourceline or 1, node.get(attribute) if attribute else node.text, [DRAWN_NOTE]


def extract_bpmn(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Extracted]:
    """Babel's extractor protocol: (line, function name, message, comments) per text."""
    root = etree.parse(fileobj, _parser()).getroot()
    for line, text, comments in _texts(root):
        yield line, None, text, comments


def _sentence_literal(text: str) -> str | None:
    text = text.strip()
    if len(text) > 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
        inner = text[1:-1]
        if " " in inner.strip() and any(ch.isalpha() for ch in inner):
            return inner
    return None


def extract_dmn(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Extracted]:
    """String outputs of decision tables that read as sentences (see the module docstring)."""
    root = etree.parse(fileobj, _parser()).getroot()
    for node in root.iter():
        if not isinstance(node.tag, str) or etree.QName(node).localname != "outputEntry":
            continue
        if etree.QName(node).namespace not in DMN_NAMESPACES:
            continue
        for text_node in node:
            if isinstance(text_node.tag, str) and etree.QName(text_node).localname == "text" and text_node.text:
                inner = _sentence_literal(text_node.text)
                if inner:
                    yield text_node.sourceline or 1, None, inner, []


def extract_manifest(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Extracted]:
    """model.json / process_model.json: the pathway's title and description."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    manifest = json.loads(source)
    if not isinstance(manifest, dict):
        return
    for key in MANIFEST_KEYS:
        text = manifest.get(key)
        if isinstance(text, str) and text.strip():
            at = source.find(json.dumps(text, ensure_ascii=False))
            yield (source.count("\n", 0, at) + 1 if at >= 0 else 1), None, text, []
