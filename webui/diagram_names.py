"""A BPMN diagram that someone only looks at, with the labels it draws in the reader's language.

The instance page's viewer draws the XML as written, in the analyst's English. Here the file is re-read and
each drawn label (`webui.babel_bpmn.drawn_labels`: names of tasks, events, gateways, flows, pools, text
annotations) is replaced by its catalog translation; a lane named after a role shows the role's label. The
stored model never changes: this is done on the copy sent to the viewer. The modeler gets the file
untranslated, since there the analyst edits the real names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from webui.babel_bpmn import BPMN, _parser, drawn_labels


def translated_diagram(xml: str, translate: Callable[[str], str], role_labels: Mapping[str, Any]) -> str:
    """The XML with its drawn labels translated; XML that does not parse comes back as it is (the viewer
    then shows why it cannot draw it)."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), _parser())
    except etree.XMLSyntaxError:
        return xml
    for node, attribute in drawn_labels(root):
        text = node.get(attribute) if attribute else node.text
        if node.tag == f"{BPMN}lane" and text in role_labels:
            new = str(role_labels[text])
        else:
            new = translate(text)
        if attribute:
            node.set(attribute, new)
        else:
            node.text = new
    return etree.tostring(root, encoding="unicode")
