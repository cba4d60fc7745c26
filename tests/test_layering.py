"""The dependency rules of the design, checked on the source: lower layers never import the web layer,
and SpiffWorkflow stays inside engine/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOWER_LAYERS = ("engine", "integrations", "reports", "workflows")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py") if "migrations/versions" not in str(p)]


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_lower_layers_never_import_the_web_layer(layer):
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in python_files(layer)
        for name in imported_modules(path)
        if name == "webui" or name.startswith("webui.")
    ]
    assert offenders == []


def test_only_the_engine_imports_spiffworkflow():
    # bench/ is exempt: its baseline is raw SpiffWorkflow, measured beside our engine on purpose.
    folders = ("forms", "webui", "integrations", "reports", "workflows")
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in python_files(*folders)
        for name in imported_modules(path)
        if name.split(".")[0] == "SpiffWorkflow"
    ]
    assert offenders == []


def test_the_engine_imports_nothing_from_forms_or_workflows():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in python_files("engine")
        for name in imported_modules(path)
        if name.split(".")[0] in ("forms", "workflows")
    ]
    assert offenders == []
