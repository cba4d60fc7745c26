"""A BPMN diagram that someone only looks at, with the labels it draws in the reader's language.

The instance page's viewer draws the XML as written, in the analyst's English. Here the file is re-read and
each drawn label (`webui.babel_bpmn.drawn_labels`: names of tasks, events, gateways, flows, pools, text
annotations) is replaced by its catalog translation; a lane named after a role shows the role's label. The
stored model never changes: this is done on the copy sent to the viewer. The modeler gets the file
untranslated, since there the analyst edits the real names.

The label boxes were drawn for the English words, and bpmn-js (diagram-js lib/util/Text.js) breaks a line
only at a space, a hyphen or a soft hyphen (U+00AD, shown as "-" where it breaks), and otherwise cuts a
word anywhere: «пов/тор/ить», «успешно» one letter per line. So a translated label gets room for its
longest word: an outside label (of a flow, an event, a gateway) a box that is wide enough, and a word
longer than a task's box soft hyphens between its syllables (`webui.hyphens`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from webui.babel_bpmn import BPMN, BPMNDI, _parser, drawn_labels
from webui.hyphens import soft_hyphens


def translated_diagram(xml: str, translate: Callable[[str], str], role_labels: Mapping[str, Any]) -> str:
    """The XML with its drawn labels translated; XML that does not parse comes back as it is (the viewer
    then shows why it cannot draw it)."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), _parser())
    except etree.XMLSyntaxError:
        return xml
    labels = {node.get("bpmnElement"): node.find(f"{BPMNDI}BPMNLabel/{DC}Bounds")
              for node in root.iter(f"{BPMNDI}BPMNShape", f"{BPMNDI}BPMNEdge")}
    for node, attribute in drawn_labels(root):
        text = node.get(attribute) if attribute else node.text
        if node.tag == f"{BPMN}lane" and text in role_labels:
            new = str(role_labels[text])
        else:
            new = translate(text)
            bounds = labels.get(node.get("id"))
            if bounds is not None:
                _fit_outside_label(bounds, new)
            elif node.tag in BOXED:
                new = soft_hyphens(new, BOX_WORD)
        if attribute:
            node.set(attribute, new)
        else:
            node.text = new
    return etree.tostring(root, encoding="unicode")


DC = "{http://www.omg.org/spec/DD/20100524/DC}"
# Elements whose label bpmn-js writes inside their box (100 px wide, 5 px padding each side, 12 px text): a
# word wider than BOX_WORD does not fit one line, so it gets soft hyphens. Outside labels are 11 px: about
# 7 px a letter, rounded up for «ш», «ж», «ю».
BOXED = frozenset(f"{BPMN}{tag}" for tag in ("task", "userTask", "manualTask", "serviceTask", "scriptTask",
                                             "sendTask", "receiveTask", "businessRuleTask", "callActivity",
                                             "subProcess"))
BOX_WORD = 88.0
LETTER = 7.0
LINE = 14


def _fit_outside_label(bounds: Any, text: str) -> None:
    """Widens an outside label's box (about its centre) to its longest word, no more (the author placed it
    beside a line or a shape: words still wrap as they did); it grows downwards by the lines the text then
    takes. A box already wide enough stays."""
    words = text.split() or [""]
    need = max(len(word) for word in words) * LETTER + 4
    x, width, height = (float(bounds.get(name, 0)) for name in ("x", "width", "height"))
    if width >= need:
        return
    lines = -(-len(text) * LETTER // need)
    bounds.set("x", f"{x - (need - width) / 2:g}")
    bounds.set("width", f"{need:g}")
    bounds.set("height", f"{max(height, lines * LINE):g}")
