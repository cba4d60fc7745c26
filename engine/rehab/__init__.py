"""Rehabilitation (R-REHAB): a doctor attaches an instructor to a patient, which opens a course; the
instructor plans online classes (single or a recurring series, individual or group) and recommends
videos; reminders go out 10 minutes before each class through the `rehab_course` pathway's timers.

Modules: models (tables), courses (attaching, planning, attendance, what each person sees),
connectors (the pathway's service tasks), enrolment (the public ЛФК group application), demo.
"""
