"""Forms of the electronic registry. Labels are lazy msgids; the engine re-checks every value."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

REQUIRED = _l("This field is required.")

DOC_CHOICES = [
    ("oms", _l("OMS policy")),
    ("snils", _l("SNILS")),
    ("passport", _l("Passport of a citizen of Russia")),
    ("dms", _l("DMS policy")),
    ("none", _l("No identity document")),
]
TYPE_LABELS = {
    "hospital": _l("Hospital"),
    "polyclinic": _l("Polyclinic"),
    "dental": _l("Dental clinic"),
    "dispensary": _l("Dispensary"),
    "center": _l("Medical center"),
}
WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday")]
WEEKDAYS_SHORT = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]


class BookingForm(FlaskForm):
    doc_type = SelectField(_l("Identity document"), choices=DOC_CHOICES, default="oms")
    doc_number = StringField(_l("Document number"), validators=[Optional(), Length(max=40)],
                             description=_l("OMS: 16 digits; SNILS: 11 digits; passport: series and number"))
    last_name = StringField(_l("Surname"), validators=[Optional(), Length(max=100)])
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    patronymic = StringField(_l("Patronymic (if any)"), validators=[Optional(), Length(max=100)])
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    phone = TelField(_l("Mobile phone"), validators=[DataRequired(REQUIRED), Length(max=30)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)],
                       description=_l("The confirmation code and the satisfaction questionnaire are sent here"))
    consent = BooleanField(_l("I consent to the processing of my personal data"))


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a «Yes» button."""


class CancelByIdentityForm(FlaskForm):
    """Cancelling a ticket booked without an account: its number and the identity used to book it."""

    number = StringField(_l("Ticket number"), validators=[DataRequired(REQUIRED), Length(max=20)])
    identity = StringField(_l("Document number, or last name if you booked without a document"),
                           validators=[DataRequired(REQUIRED), Length(max=100)])


class CodeForm(FlaskForm):
    code = StringField(_l("Confirmation code"), validators=[DataRequired(REQUIRED), Length(max=12)])


class RateForm(FlaskForm):
    rating = RadioField(_l("Rate the visit"), choices=[(str(n), str(n)) for n in range(5, 0, -1)],
                        validators=[InputRequired(_l("Choose from 1 to 5 stars."))])
    review = TextAreaField(_l("Review (optional)"), validators=[Optional(), Length(max=2000)])


class DistrictForm(FlaskForm):
    class Meta:
        csrf = False  # a search: GET, changes nothing

    institution = SelectField(_l("Medical institution"), coerce=int, validators=[InputRequired(REQUIRED)])
    street = StringField(_l("Street"), validators=[DataRequired(REQUIRED), Length(max=200)])
    house = StringField(_l("House number"), validators=[DataRequired(REQUIRED), Length(max=20)])


class InstitutionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=300)])
    kind = SelectField(_l("Type"), choices=list(TYPE_LABELS.items()))
    address = StringField(_l("Address"), validators=[DataRequired(REQUIRED), Length(max=300)])
    phones = StringField(_l("Registry phones"), validators=[Optional(), Length(max=200)])
    hours = StringField(_l("Working hours"), validators=[Optional(), Length(max=200)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)])


class DepartmentForm(FlaskForm):
    name = StringField(_l("Department"), validators=[DataRequired(REQUIRED), Length(max=300)])


class DoctorForm(FlaskForm):
    last_name = StringField(_l("Surname"), validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    patronymic = StringField(_l("Patronymic (if any)"), validators=[Optional(), Length(max=100)])
    department = SelectField(_l("Department"), coerce=int)
    specialty = StringField(_l("Specialty"), validators=[DataRequired(REQUIRED), Length(max=200)])


class TemplateForm(FlaskForm):
    post = SelectField(_l("Doctor"), coerce=int)
    weekday = SelectField(_l("Day of the week"), coerce=int, choices=list(enumerate(WEEKDAYS)))
    start = TimeField(_l("From"), validators=[InputRequired(REQUIRED)])
    end = TimeField(_l("To"), validators=[InputRequired(REQUIRED)])
    slot_minutes = IntegerField(_l("Minutes per ticket"), default=20,
                                validators=[InputRequired(REQUIRED), NumberRange(5, 240)])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired(REQUIRED)])
    valid_to = DateField(_l("Valid to (optional)"), validators=[Optional()])


class ExceptionForm(FlaskForm):
    doctor = SelectField(_l("Doctor"), coerce=int, description=_l("«Whole institution» for a holiday"))
    date_from = DateField(_l("From"), validators=[InputRequired(REQUIRED)])
    date_to = DateField(_l("To"), validators=[InputRequired(REQUIRED)])
    kind = SelectField(_l("Reason"), choices=[("leave", _l("Leave")), ("holiday", _l("Holiday"))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
