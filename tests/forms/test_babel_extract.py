"""The extractors put what people read of a pathway (forms, task names, instructions, titles) into the
catalog, and nothing that is a value the process compares."""

from __future__ import annotations

import io
import json

from forms.babel_extract import extract_form
from webui.babel_bpmn import extract_bpmn, extract_dmn, extract_manifest

FORM = {
    "title": "Rate the consultation", "type": "object",
    "properties": {
        "rating": {"type": "integer", "title": "Rating", "oneOf": [{"const": 5, "title": "★★★★★"},
                                                                    {"const": 1, "title": "Poor"}]},
        "blood": {"type": "string", "enum": ["first", "second"], "default": "first", "pattern": "^[a-z]+$"},
        "title": {"type": "string", "description": "A property may be called title"},
    },
}
UI = {"rating": {"ui:widget": "radio", "ui:help": "Five stars is the best"},
      "blood": {"ui:placeholder": "Pick one", "ui:options": {"labels": ["Normal", "", "Strong"], "unit": "mmHg"}},
      "ui:submitButtonOptions": {"submitText": "Send the rating"}}
BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d">
  <bpmn:process id="p" name="A pathway" isExecutable="true">
    <bpmn:documentation>Notes for analysts</bpmn:documentation>
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="patient" /></bpmn:laneSet>
    <bpmn:userTask id="t1" name="Tell us how you feel">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="instructionsForEndUser" value="Hello {{ name }}, answer today." />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:manualTask id="t2" name="Call the patient">
      <bpmn:extensionElements><spiffworkflow:instructionsForEndUser>Call **{{ phone }}**.</spiffworkflow:instructionsForEndUser></bpmn:extensionElements>
    </bpmn:manualTask>
    <bpmn:serviceTask id="s" name="Send the code" />
    <bpmn:exclusiveGateway id="g" name="Was it free?" />
  </bpmn:process>
</bpmn:definitions>"""
DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="n" namespace="x">
  <decision id="d1"><decisionTable id="t">
    <output id="o1" name="level" typeRef="string" /><output id="o2" name="reason" typeRef="string" />
    <rule id="r"><outputEntry id="e1"><text>"urgent"</text></outputEntry>
      <outputEntry id="e2"><text>"Several values beyond your thresholds"</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>"""


def texts(extractor, content: bytes):
    return [(line, message, comments) for line, _fn, message, comments in extractor(io.BytesIO(content), [], [], {})]


def test_a_form_file_gives_its_titles_options_help_placeholders_labels_unit_and_submit_text():
    found = [m for _line, m, _c in texts(extract_form, json.dumps(FORM, indent=1).encode())]
    ui = [m for _line, m, _c in texts(extract_form, json.dumps(UI, indent=1).encode())]

    assert found == ["Rate the consultation", "Rating", "Poor", "first", "second", "A property may be called title"]
    assert ui == ["Five stars is the best", "Pick one", "Normal", "Strong", "mmHg", "Send the rating"]


def test_form_texts_carry_the_line_they_are_on():
    source = json.dumps(FORM, indent=1)
    lines = {m: line for line, m, _c in texts(extract_form, source.encode())}

    assert source.splitlines()[lines["Poor"] - 1].strip().startswith('"title": "Poor"')


def test_bpmn_gives_task_names_process_names_and_whole_instructions_but_not_lanes_or_notes():
    found = texts(extract_bpmn, BPMN)
    messages = [m for _line, m, _c in found]

    assert messages == ["A pathway", "Tell us how you feel", "Hello {{ name }}, answer today.", "Call the patient",
                        "Call **{{ phone }}**."]
    assert all("keep every {{ ... }}" in " ".join(c) for _l, m, c in found if "{{" in m)
    assert dict((m, line) for line, m, _c in found)["Tell us how you feel"] == 7


def test_dmn_gives_sentences_but_not_codes():
    assert [m for _line, m, _c in texts(extract_dmn, DMN)] == ["Several values beyond your thresholds"]


def test_a_model_manifest_gives_its_title_and_description():
    manifest = b'{"title": "Appointment ticket booking",\n "description": "Hold a slot.", "process": "p"}'

    assert [(line, m) for line, m, _c in texts(extract_manifest, manifest)] == [
        (1, "Appointment ticket booking"), (2, "Hold a slot.")]


def test_a_conditions_compared_values_are_not_texts():
    form = {"type": "object", "properties": {"decision": {"type": "string", "title": "Decision",
                                                          "enum": ["schedule", "decline"]},
                                             "message": {"type": "string", "title": "Message"}},
            "allOf": [{"if": {"properties": {"decision": {"enum": ["decline"]}}}, "then": {"required": ["message"]}}]}
    found = [m for _line, m, _c in texts(extract_form, json.dumps(form, indent=1).encode())]
    assert found == ["Decision", "schedule", "decline", "Message"]
