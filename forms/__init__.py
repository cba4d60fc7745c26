"""Forms of user tasks: JSON Schema subset -> WTForms, domain widgets, rendering, instructions.

The web app registers `blueprint` for the macros in ``forms/render.html``, the stylesheet
(``url_for("forms.static", filename="forms.css")``) and the template filter ``authored`` (a text from a
pathway, such as a task or pathway title, in the reader's language: see `forms.authored`). Nothing here
imports `webui`.

Importing this package installs its form check into the engine's deploy
(engine.workflow.validation.install_form_check): the engine may not import `forms`, and a check that
depended on a Flask app having been created made deploy's verdict depend on what ran before. Every
process that deploys imports `forms` (the web app and the CLI through webui, the studio's test run
through the job, tests through their conftest).
"""

from __future__ import annotations

from flask import Blueprint

from engine.workflow.validation import install_form_check
from forms.authored import authored, translated
from forms.domain import Upload
from forms.errors import FormSchemaError, Problem
from forms.instructions import render_instructions
from forms.jsonpath import validate_json
from forms.schema import SchemaForm, SlotProvider, build_form_class, check_schema, form_data, form_files
from forms.sections import ADD_ENTRY
from forms.spiffarena import DynamicOptionsMissing, check_task_form, coded_task_form_problems, prepare

# Templates and static files only: no routes, so registering it adds no URL but /forms-static/.
blueprint = Blueprint(
    "forms", __name__, template_folder="templates", static_folder="static", static_url_path="/forms-static"
)
blueprint.add_app_template_filter(translated, "authored")
install_form_check(coded_task_form_problems)

__all__ = [
    "ADD_ENTRY",
    "DynamicOptionsMissing",
    "check_task_form",
    "prepare",
    "FormSchemaError",
    "Problem",
    "SchemaForm",
    "SlotProvider",
    "Upload",
    "authored",
    "blueprint",
    "build_form_class",
    "check_schema",
    "form_data",
    "form_files",
    "render_instructions",
    "translated",
    "validate_json",
]
