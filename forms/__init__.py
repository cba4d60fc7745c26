"""Forms of user tasks: JSON Schema subset -> WTForms, domain widgets, rendering, instructions.

The web app registers `blueprint` for the macros in ``forms/render.html`` and the stylesheet
(``url_for("forms.static", filename="forms.css")``). Nothing here imports `webui` or `engine`.
"""

from __future__ import annotations

from flask import Blueprint

from forms.domain import Upload
from forms.errors import FormSchemaError, Problem
from forms.instructions import render_instructions
from forms.jsonpath import validate_json
from forms.schema import SchemaForm, SlotProvider, build_form_class, check_schema, form_data, form_files

# Templates and static files only: no routes, so registering it adds no URL but /forms-static/.
blueprint = Blueprint(
    "forms", __name__, template_folder="templates", static_folder="static", static_url_path="/forms-static"
)

__all__ = [
    "FormSchemaError",
    "Problem",
    "SchemaForm",
    "SlotProvider",
    "Upload",
    "blueprint",
    "build_form_class",
    "check_schema",
    "form_data",
    "form_files",
    "render_instructions",
    "validate_json",
]
