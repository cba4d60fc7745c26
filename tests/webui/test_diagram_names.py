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
