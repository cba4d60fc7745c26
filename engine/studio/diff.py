"""What changed between two versions of a model, element by element (by BPMN/DMN id), and file by file.

An element's fingerprint is its tag, attributes and the content it owns: children without an id of
their own (documentation, conditions, extension properties, lane membership). A child with an id is
an element of its own, so editing a task does not mark its process as changed. Diagram (DI) shapes are
left out: moving a box is not a change of the pathway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.workflow.spiff import parse_xml

DI_NAMESPACES = frozenset({
    "http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC", "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DMNDI/",
})  # fmt: skip


@dataclass(frozen=True)
class ElementChange:
    id: str
    kind: str  # the element's tag, e.g. userTask
    name: str
    file: str


@dataclass
class VersionDiff:
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.files_added
            or self.files_removed
            or self.files_changed
        )


def _is_di(node: Any) -> bool:
    return isinstance(node.tag, str) and etree.QName(node).namespace in DI_NAMESPACES


def _fingerprint(node: Any) -> str:
    parts = [etree.QName(node).text, repr(sorted(node.attrib.items())), (node.text or "").strip()]
    for child in node:
        if not isinstance(child.tag, str) or _is_di(child):
            continue
        if child.get("id"):
            parts.append(f"#{child.get('id')}")
        else:
            parts.append("(" + _fingerprint(child) + ")")
        parts.append((child.tail or "").strip())
    return "|".join(parts)


def elements(files: Mapping[str, str]) -> dict[str, tuple[ElementChange, str]]:
    """Element id -> (description, fingerprint) over the BPMN and DMN files; unparsable files give none."""
    found: dict[str, tuple[ElementChange, str]] = {}
    for path, text in sorted(files.items()):
        if not path.endswith((".bpmn", ".dmn")):
            continue
        try:
            root = parse_xml(text)
        except etree.XMLSyntaxError:
            continue
        stack = [root]
        while stack:
            node = stack.pop()
            if not isinstance(node.tag, str) or _is_di(node):
                continue
            element_id = node.get("id")
            if element_id and node is not root:
                kind = etree.QName(node).localname
                found[element_id] = (
                    ElementChange(element_id, kind, node.get("name") or "", path),
                    _fingerprint(node),
                )
            stack.extend(reversed(list(node)))
    return found


def diff_files(old: Mapping[str, str], new: Mapping[str, str]) -> VersionDiff:
    result = VersionDiff()
    before, after = elements(old), elements(new)
    result.added = [after[i][0] for i in after if i not in before]
    result.removed = [before[i][0] for i in before if i not in after]
    result.changed = [after[i][0] for i in after if i in before and before[i][1] != after[i][1]]
    others_old = {p: t for p, t in old.items() if not p.endswith((".bpmn", ".dmn"))}
    others_new = {p: t for p, t in new.items() if not p.endswith((".bpmn", ".dmn"))}
    result.files_added = sorted(p for p in others_new if p not in others_old)
    result.files_removed = sorted(p for p in others_old if p not in others_new)
    result.files_changed = sorted(p for p in others_new if p in others_old and others_old[p] != others_new[p])
    return result
