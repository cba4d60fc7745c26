"""Imports every model module so that Base.metadata knows all tables (Alembic, create_all)."""

from __future__ import annotations

import importlib
import pkgutil

import engine

# Each domain module registers its tables on import; listing them here would be one more place to
# forget a new one, so every engine module that defines models is imported by name pattern instead.
MODEL_MODULES = (
    "engine.accounts.models",
    "engine.accounts.groups",
    "engine.audit",
    "engine.outbox",
    "engine.rate_limits",
)

for _name in MODEL_MODULES:
    importlib.import_module(_name)

# Packages that keep their tables in a `models` module (engine.workflow.models, ...).
for _info in pkgutil.iter_modules(engine.__path__):
    if _info.ispkg:
        try:
            importlib.import_module(f"engine.{_info.name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"engine.{_info.name}.models":
                raise
