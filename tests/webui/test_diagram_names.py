"""A diagram someone only looks at shows its labels in the reader's language, and the catalog gets every
label a diagram draws (but not the names nothing draws, nor lanes that are roles)."""

from __future__ import annotations

import io

import pytest

from forms import translated
from webui.admin.staff import ROLE_LABELS
from webui.babel_bpmn import extract_bpmn
from webui.diagram_names import translated_diagram

DRAWN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d">
  <bpmn:message id="m" name="consultation_cancelled" />
  <bpmn:collaboration id="c"><bpmn:participant id="pool" name="Remote monitoring" processRef="p" /></bpmn:collaboration>
  <bpmn:process id="p" name="A pathway" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="doctor" /><bpmn:lane id="l2" name="Ivanov &amp; Co" /></bpmn:laneSet>
    <bpmn:userTask id="rate" name="Rate the consultation">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="rate.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="g" name="Booked?" />
    <bpmn:sequenceFlow id="f" name="no answers" sourceRef="rate" targetRef="g" />
    <bpmn:serviceTask id="hidden" name="Not on the drawing" />
    <bpmn:textAnnotation id="a"><bpmn:text>Day missed</bpmn:text></bpmn:textAnnotation>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="c">
    <bpmndi:BPMNShape id="s0" bpmnElement="pool"><dc:Bounds x="0" y="0" width="600" height="300" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s1" bpmnElement="l1"><dc:Bounds x="30" y="0" width="570" height="150" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s2" bpmnElement="l2"><dc:Bounds x="30" y="150" width="570" height="150" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s3" bpmnElement="rate"><dc:Bounds x="100" y="40" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s4" bpmnElement="g"><dc:Bounds x="300" y="55" width="50" height="50" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e1" bpmnElement="f" />
    <bpmndi:BPMNShape id="s5" bpmnElement="a"><dc:Bounds x="400" y="200" width="100" height="30" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


@pytest.fixture
def russian(app):
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        yield app


def test_the_viewers_copy_has_every_drawn_label_in_russian_and_lanes_as_role_labels(russian):
    drawn = translated_diagram(DRAWN, translated, ROLE_LABELS)

    for russian_label in ('name="Оцените консультацию"', 'name="Записано?"', 'name="нет ответов"',
                          'name="Дистанционный мониторинг"', 'name="Врач"', ">День пропущен<"):
        assert russian_label in drawn
    # A lane that is not a role and a name with no translation stay as written; properties are not labels.
    assert 'name="Ivanov &amp; Co"' in drawn and 'name="formJsonSchemaFilename"' in drawn
    assert 'name="consultation_cancelled"' in drawn and 'name="Not on the drawing"' in drawn


def test_an_english_reader_gets_the_names_as_written(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        drawn = translated_diagram(DRAWN, translated, ROLE_LABELS)

    assert 'name="Rate the consultation"' in drawn and 'name="Doctor"' in drawn and 'name="Booked?"' in drawn


def test_xml_that_does_not_parse_is_passed_on_unchanged_for_the_viewer_to_refuse(russian):
    assert translated_diagram("<bpmn:definitions", translated, ROLE_LABELS) == "<bpmn:definitions"


def test_the_catalog_gets_what_the_diagram_draws_but_not_roles_messages_or_undrawn_names():
    found = [m for _line, _fn, m, _c in extract_bpmn(io.BytesIO(DRAWN.encode()), [], [], {})]

    assert set(found) == {"A pathway", "Rate the consultation", "Remote monitoring", "Ivanov & Co", "Booked?",
                          "no answers", "Day missed"}


FITTED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:serviceTask id="t" name="Reassign the reviewer" />
    <bpmn:exclusiveGateway id="g" name="Decision?" />
    <bpmn:sequenceFlow id="f" name="retry" sourceRef="t" targetRef="g" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="p">
    <bpmndi:BPMNShape id="s1" bpmnElement="t"><dc:Bounds x="100" y="40" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s2" bpmnElement="g"><dc:Bounds x="300" y="55" width="50" height="50" />
      <bpmndi:BPMNLabel><dc:Bounds x="305" y="30" width="40" height="14" /></bpmndi:BPMNLabel></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e1" bpmnElement="f"><bpmndi:BPMNLabel><dc:Bounds x="240" y="60" width="20" height="14" />
      </bpmndi:BPMNLabel></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def test_russian_labels_get_room_for_their_words_and_long_words_soft_hyphens(russian):
    """Label boxes sized for English: bpmn-js would cut «повторить» and «Решение?» anywhere. An outside
    label widens (about its centre) to its longest word; a word too long for a task's box gets soft hyphens
    between syllables, where bpmn-js may break it with a "-"."""
    from lxml import etree

    catalog = {"Reassign the reviewer": "Назначить рассматривающего врача", "Decision?": "Решение?",
               "retry": "повторить"}
    root = etree.fromstring(translated_diagram(FITTED, catalog.get, ROLE_LABELS).encode())
    dc = "{http://www.omg.org/spec/DD/20100524/DC}"
    bounds = {b.getparent().getparent().get("bpmnElement"): b for b in root.iter(f"{dc}Bounds")
              if b.getparent().tag.endswith("BPMNLabel")}
    flow = bounds["f"]
    assert float(flow.get("width")) >= 9 * 6.5 and float(flow.get("x")) + float(flow.get("width")) / 2 == 250
    assert float(bounds["g"].get("width")) >= 8 * 6.5 and float(bounds["g"].get("x")) + float(bounds["g"].get("width")) / 2 == 325
    task = root.find(".//{http://www.omg.org/spec/BPMN/20100524/MODEL}serviceTask")
    assert task.get("name") == "Назначить рас\u00adсмат\u00adри\u00adва\u00adюще\u00adго врача"  # short words stay whole


def test_syllables_keep_a_vowel_each_and_latin_words_are_left_alone():
    from webui.hyphens import soft_hyphens

    shown = {word: soft_hyphens(word, 0).replace("\u00ad", "·") for word in
             ("рассмотрением", "задержку", "Отправить", "информированное", "consultation")}
    assert shown == {"рассмотрением": "рас·смот·ре·ни·ем", "задержку": "за·дер·жку", "Отправить": "От·пра·вить",
                     "информированное": "ин·фор·ми·ро·ван·ное", "consultation": "consultation"}
