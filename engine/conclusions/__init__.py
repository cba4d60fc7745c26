"""Signed documents of a consultation: the doctor's conclusion and the informed consent (ИДС).

Public API (for the consultation pathways and pages):
- `service.request_conclusion(session, *, patient_id, doctor_id, reference, diagnosis_code,
  diagnosis_text, findings, recommendations, follow_up) -> Conclusion`
- `service.record_consent(session, *, patient_id, reference, locale=None, version=None, ip="",
  doctor_id=None, accepted_at=None) -> ConsentDocument`
- `texts.telemedicine_consent(locale) -> ConsentText` (the text and version to show)
- `service.produce_pending(session_factory, store, signer_provider, base_url) -> int` (the flow's work)
- BPMN service-task operators `request_conclusion` and `record_consent` (connectors.py)
"""
