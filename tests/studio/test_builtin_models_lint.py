"""Every pathway the platform ships passes bpmnlint's recommended rules, as the studio's Validate runs them:
an analyst opening a built-in model sees no warnings (joins through gateways, no shapes overlapping or outside
their pool, no unused messages, every event connected)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.studio import lint

MODELS = sorted((Path(__file__).resolve().parents[2] / "workflows" / "bpmn").glob("*/*.bpmn"))


def test_the_built_in_models_are_found():
    assert len(MODELS) >= 7


@pytest.mark.parametrize("model", MODELS, ids=[m.parent.name for m in MODELS])
def test_a_built_in_model_lints_clean(model):
    findings = lint.lint_bpmn(model.read_text(encoding="utf-8"))
    assert [(f.rule, f.element, f.message) for f in findings] == []
