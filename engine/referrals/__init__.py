"""Referral import (route 3, R-CONS-3-01..05): a region's table of referred patients becomes accounts,
activation messages and one `consultation_referral` pathway per row.

Modules: parse (CSV/XLSX, encodings, headers as people write them in Russian or English),
mapping (the column choices managers made, remembered per referring institution and header set),
validate (per-cell reasons; ICD-10 codes against the catalogue in engine.icd10), patients (matching by
SNILS, then OMS policy, then email + date of birth; creating accounts), service (preview, the column
step, queue, the resumable run, counts), report (CSV report, the rows with errors to send back, the
blank template), models (referral_import, referral_row, referral_column_mapping).

Contract with the `consultation_referral` pathway (workflows/bpmn/consultation_referral/, model id
exactly that). Each imported row starts it with

    engine.workflow.start_instance(session_factory, "consultation_referral", actor_of_the_manager,
                                   data={...}, patient_id=patient.id, connectors=build_connectors(settings))

and these keys in `data` (all always present):

    patient_id      int  the patient's account id (also the instance's patient)
    referral_id     int  the referral_row id (engine.referrals.models.ReferralRow)
    diagnosis_code  str  ICD-10, normalised (e.g. "C50.9")
    diagnosis_text  str  as written in the table ("" when not given)
    target          str  the target specialty or center, as written
    manager_id      int  the manager who imported the table (its uploader)

and, as extra context for the doctor: referring_institution, attending_doctor, comment (str, may be "").
The account may still be waiting for activation when the pathway starts: its first patient task
(upload documents) shows in the patient's inbox once they have set a password from the activation link.
"""
