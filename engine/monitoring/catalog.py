"""What the platform knows about each measurement: its name, unit, the range a real value can have
(values outside are typing errors and are refused), a typical alert range, and its LOINC code for FHIR.

Blood pressure is the one two-value measurement: systolic / diastolic, each with its own LOINC code
inside the 85354-9 panel.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.i18n import N_


@dataclass(frozen=True)
class Measure:
    code: str
    title: str  # N_ msgid
    unit: str  # N_ msgid too: shown translated (мм рт. ст.), stored and exported as written here
    valid: tuple[float, float]
    alert: tuple[float | None, float | None]  # suggested thresholds the doctor starts from
    loinc: str
    loinc_display: str
    ucum: str  # the unit as FHIR wants it (UCUM)
    step: float = 0.1
    # Two-value measurement (blood pressure): the second component.
    valid2: tuple[float, float] | None = None
    alert2: tuple[float | None, float | None] | None = None
    components: tuple[tuple[str, str], ...] = ()  # (LOINC, display) per component


BLOOD_PRESSURE = "bp"
MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure(BLOOD_PRESSURE, N_("Blood pressure"), N_("mmHg"), (50, 260), (90, 140), "85354-9",
                "Blood pressure panel with all children optional", "mm[Hg]", 1, (30, 160), (60, 90),
                (("8480-6", "Systolic blood pressure"), ("8462-4", "Diastolic blood pressure"))),
        Measure("temperature", N_("Body temperature"), N_("°C"), (34, 43), (None, 37.5), "8310-5", "Body temperature",
                "Cel"),
        Measure("pulse", N_("Pulse"), N_("/min"), (25, 250), (50, 110), "8867-4", "Heart rate", "/min", 1),
        Measure("weight", N_("Weight"), N_("kg"), (2, 400), (None, None), "29463-7", "Body weight", "kg"),
        Measure("glucose", N_("Blood glucose"), N_("mmol/L"), (1, 40), (3.9, 11), "2339-0",
                "Glucose [Mass/volume] in Blood", "mg/dL"),
        Measure("spo2", N_("Oxygen saturation (SpO2)"), "%", (50, 100), (94, None), "59408-5",
                "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 1),
    )
}
# 2339-0 is a mass concentration; patients in Russia measure glucose in mmol/L (1 mmol/L = 18.016 mg/dL).
GLUCOSE_MG_PER_MMOL = 18.016


def measure(code: str) -> Measure | None:
    return MEASURES.get(code)
