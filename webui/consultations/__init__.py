"""Consultations (engine/consultations): the section's pages (pages.py) and starting a consultation with
the documents page (start.py). Blueprints in blueprint.py; the store and upload limits in shared.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The blueprints of the section and the review form's slot picker (the doctor's own free times) and the
    upload form's "documents uploaded" check."""
    from webui.consultations import start  # noqa: F401 - its routes join start_bp
    from webui.consultations.blueprint import bp, start_bp
    from webui.consultations.pages import doctor_slots, documents_uploaded, patient_consultation_page
    from webui.tasks.core import AFTER_DONE_PAGES, SLOT_PROVIDERS_KEY

    app.register_blueprint(bp)
    app.register_blueprint(start_bp)
    providers = app.extensions.setdefault(SLOT_PROVIDERS_KEY, {})
    providers["consultation_doctor_slots"] = doctor_slots
    # A platform check a form names in ui:options.check (forms.validators.AnswerCheck).
    providers["consultation_documents_uploaded"] = documents_uploaded
    # A patient's consultation task done, the consultation's page comes next (webui.tasks.core).
    if patient_consultation_page not in AFTER_DONE_PAGES:
        AFTER_DONE_PAGES.append(patient_consultation_page)
