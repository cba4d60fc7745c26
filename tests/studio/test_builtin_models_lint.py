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


# ticket_booking is back on its previous model: the linted one (converging gateways) lost the guest's cancel
# link in the confirmation mail (tests/e2e/test_registry.py), cause not found yet. Strict: passing fails.
KNOWN = {"ticket_booking": "the linted ticket_booking broke the guest's cancel link; reverted until fixed"}


def _param(model: Path) -> object:
    reason = KNOWN.get(model.parent.name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(model, id=model.parent.name, marks=marks)


@pytest.mark.parametrize("model", [_param(m) for m in MODELS])
def test_a_built_in_model_lints_clean(model):
    findings = lint.lint_bpmn(model.read_text(encoding="utf-8"))
    assert [(f.rule, f.element, f.message) for f in findings] == []
