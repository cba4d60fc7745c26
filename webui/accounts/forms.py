"""WTForms for the account pages. Labels and messages are lazy msgids, shown in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from engine.accounts.validation import MIN_PASSWORD_LENGTH, TIMEZONES
from engine.timezones import ZONE_NAMES, zone_label

REQUIRED = _l("This field is required.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])


class CodeForm(FlaskForm):
    code = StringField(_l("One-time code"), validators=[DataRequired(REQUIRED), Length(min=6, max=6)])


class RegistrationForm(FlaskForm):
    last_name = StringField(_l("Surname"), validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    patronymic = StringField(_l("Patronymic (if any)"), validators=[Optional(), Length(max=100)])
    birth_date = DateField(_l("Date of birth"), validators=[InputRequired(REQUIRED)])
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=254)])
    phone = TelField(_l("Mobile phone"), validators=[DataRequired(REQUIRED), Length(max=30)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(REQUIRED)],
        description=_l("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
    )
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))],
    )
    consent = BooleanField(_l("I consent to the processing of my personal data"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])
    password_again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))],
    )


class ActivationEmailForm(PasswordForm):
    """Activation of an account made without an email (a patient reached by SMS): the email becomes the login."""

    email = EmailField(
        _l("Email"), validators=[DataRequired(REQUIRED), Length(max=254)],
        description=_l("It will be your login. We send a link to it to confirm the address."),
    )


class ChangePasswordForm(PasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED)])


class ProfileForm(FlaskForm):
    last_name = StringField(_l("Surname"), validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    patronymic = StringField(_l("Patronymic (if any)"), validators=[Optional(), Length(max=100)])
    email = EmailField(
        _l("Email"), validators=[DataRequired(REQUIRED), Length(max=254)],
        description=_l("A new address takes effect once you open the link we send to it."),
    )
    phone = TelField(_l("Mobile phone"), validators=[Optional(), Length(max=30)])
    oms_policy = StringField(_l("OMS policy number"), validators=[Optional(), Length(max=25)],
                             description=_l("16 digits"))
    snils = StringField(_l("SNILS"), validators=[Optional(), Length(max=20)], description=_l("Like 112-233-445 95"))
    locale = SelectField(_l("Language"), choices=[("ru", "Русский"), ("en", "English")])
    # Named in the reader's words with the offset («Москва (UTC+3)»), set per request in __init__.
    timezone = SelectField(_l("Time zone"), choices=[(z, z) for z in TIMEZONES])
    notify_email = BooleanField(_l("Notifications by email"))
    notify_sms = BooleanField(_l("SMS reminders (appointments and medication)"))
    two_factor = BooleanField(_l("Ask for a one-time code at every login (second factor)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = str(get_locale() or "ru")
        offered = [z for z in TIMEZONES if z in ZONE_NAMES]
        if self.timezone.data and self.timezone.data not in offered:  # an older account's zone stays choosable
            offered.append(self.timezone.data)
        self.timezone.choices = [(z, zone_label(z, locale)) for z in offered]


class StaffAccountForm(FlaskForm):
    last_name = StringField(_l("Surname"), validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    patronymic = StringField(_l("Patronymic (if any)"), validators=[Optional(), Length(max=100)])
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=254)])
    phone = TelField(_l("Mobile phone"), validators=[Optional(), Length(max=30)])
    role = SelectField(_l("Role"))
