"""Remote monitoring (R-MON): the doctor's plans, the patient's daily questionnaire, alerts, exports.

- plans.py         plans per doctor and patient, items (measurements, medications, survey questions),
                   templates; `require_monitors` (a doctor sees only the patients they monitor)
- schedule.py      which items are due on a date across all of a patient's plans; time zones
- questionnaires.py opening a day, the form's sections, checking (valid range) and recording answers,
                   the facts the DMN rules decide on, missed days
- alerts.py        alerts per doctor and the doctor's list of monitored patients sorted by them
- dispatch.py      the evening dispatch: which days are due, opening them and queuing the invitations in
                   bulk; unopened days missed at their deadline; starting a day's `monitoring_cycle`
- connectors.py    the pathway's service-task operators (registered by engine.composition)
- answering.py     what the questionnaire page does: open a day (its instance starts then), send the answers
- fhir.py, export.py   FHIR R4 (Questionnaire, QuestionnaireResponse, Observation) and CSV
- demo.py          a demo plan with a few days of data
"""
