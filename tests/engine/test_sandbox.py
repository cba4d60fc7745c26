"""The sandbox itself: what scripts can do with task data, and what they cannot reach."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.workflow.sandbox import SandboxError, evaluate, execute


def test_a_script_turns_its_variables_into_task_data_with_the_helpers_at_hand(clock):
    data = {"date": "2026-03-02", "systolic": [120, 160]}
    execute("peak = max(systolic)\npeak += 1\ndue = now() + parse_duration('P3D')\nnotes = f'{peak} mmHg'", data)
    assert data == {
        "date": "2026-03-02",  # a data field named like a helper stays data
        "systolic": [120, 160],
        "peak": 161,
        "due": clock.current + timedelta(days=3),
        "notes": "161 mmHg",
    }


@pytest.mark.parametrize(
    "expression",
    ["getattr(x, 'real')", "x.__class__", "__import__('os')", "open('/etc/passwd')", "[c for c in ().__class__.__mro__]"],
)
def test_an_expression_cannot_reach_outside_the_data(expression):
    with pytest.raises(SandboxError):
        evaluate(expression, {"x": 1})


def test_format_strings_from_data_cannot_walk_attributes():
    # str.format would let a template from data read "{0.__class__}": RestrictedPython refuses the call.
    with pytest.raises(NotImplementedError):
        evaluate("template.format(patient)", {"template": "{0.__class__}", "patient": 1})


def test_a_script_cannot_define_classes_or_leak_helpers_into_data():
    data: dict = {}
    with pytest.raises(SandboxError):
        execute("class Evil:\n    pass", data)
    execute("f = lambda v: v * 2\ndoubled = f(21)", data)
    assert data == {"doubled": 42}
