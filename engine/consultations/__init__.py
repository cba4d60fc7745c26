"""Online consultations: the three routes of seed 001 and their shared session (R-CONS, R-VID, R-DOC).

Modules, each small and taking the caller's session:
- models: consultation, medical centers taking applications, duty doctors; statuses are constants there.
- centers: center list with specialty profiles, reviewing doctor, duty doctors, free slots (registry's).
- booking: a consultation's time is a registry slot held by a registry ticket.
- service: apply, book a duty doctor, start a referral, cancel, join, attach files, read with access checks.
- connectors: service-task operators of workflows/bpmn/consultation_*; notify: the messages.
- demo: a medical center, its doctors and duty doctors for `carepath demo`.
"""
