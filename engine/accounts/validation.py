"""Format checks for what people type: SNILS, OMS policy, phone, password. Messages are N_ msgids."""

from __future__ import annotations

import re
from datetime import date

from engine.clock import now
from engine.i18n import N_, UserError

MIN_PASSWORD_LENGTH = 10
# The handful of passwords people still choose most; a full list would belong to a breach-check service.
COMMON_PASSWORDS = frozenset(
    {"password", "password1", "1234567890", "qwertyuiop", "qwerty1234", "1q2w3e4r5t", "0987654321",
     "йцукенгшщз", "parol12345", "iloveyou12", "carepath123", "abcdefghij", "1111111111", "123456789a"}
)


def digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def snils_checksum_ok(number: str) -> bool:
    """SNILS control number: weighted sum of the 9 digits (weights 9..1), mod 101, 100 -> 00."""
    body, control = number[:9], int(number[9:])
    if int(body) <= 1001998:  # numbers up to 001-001-998 were issued without a control sum
        return True
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    expected = total % 101
    if expected == 100:
        expected = 0
    return expected == control


def normalize_snils(value: str) -> str:
    """'112-233-445 95' in any spacing -> '112-233-445 95'; empty stays empty."""
    if not value or not value.strip():
        return ""
    number = digits(value)
    if len(number) != 11:
        raise UserError(N_("SNILS must have 11 digits, like 112-233-445 95."))
    if not snils_checksum_ok(number):
        raise UserError(N_("This SNILS number is not valid: its check digits do not match."))
    return f"{number[0:3]}-{number[3:6]}-{number[6:9]} {number[9:11]}"


def normalize_oms(value: str) -> str:
    """A unified-format OMS policy number has 16 digits."""
    if not value or not value.strip():
        return ""
    number = digits(value)
    if len(number) != 16 or re.search(r"[^\d\s-]", value):
        raise UserError(N_("An OMS policy number has 16 digits."))
    return number


def normalize_phone(value: str, *, required: bool = False) -> str:
    """Russian numbers in any common notation (8 912…, +7 (912)…, 912…) -> +7XXXXXXXXXX."""
    if not value or not value.strip():
        if required:
            raise UserError(N_("Enter a mobile phone number."))
        return ""
    if re.search(r"[^\d\s()+\-.]", value):
        raise UserError(N_("A phone number may contain only digits, spaces, brackets, dashes and a leading +."))
    number = digits(value)
    if len(number) == 11 and number[0] in "78":
        return "+7" + number[1:]
    if len(number) == 10 and number[0] == "9":
        return "+7" + number
    if value.strip().startswith("+") and 10 <= len(number) <= 15:
        return "+" + number
    raise UserError(N_("Enter the phone number with its code, for example +7 912 345-67-89."))


def check_password(password: str, *, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(N_("The password must be at least %(n)s characters long."), n=MIN_PASSWORD_LENGTH)
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise UserError(N_("This password is too easy to guess. Choose another one."))
    if email and lowered == email.lower().split("@")[0]:
        raise UserError(N_("The password must not be your email address."))
    if password.isdigit():
        raise UserError(N_("The password must not consist of digits only."))


def check_birth_date(value: date | None) -> None:
    if value is not None and not date(1900, 1, 1) <= value <= now().date():
        raise UserError(N_("Enter a real date of birth."))


def normalize_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError(N_("Enter a valid email address.")) from exc


def clean_name(value: str, *, required: bool = True) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise UserError(N_("Enter your surname and first name."))
    if len(value) > 100 or re.search(r"[<>{}\\/@0-9]", value):
        raise UserError(N_("A name may contain only letters, spaces, hyphens and apostrophes."))
    return value


# Russia's time zones (and UTC): monitoring invitations and times on pages follow the person's zone.
TIMEZONES = (
    "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
    "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok",
    "Asia/Magadan", "Asia/Kamchatka", "UTC",
)


def check_timezone(value: str) -> str:
    if value not in TIMEZONES:
        raise UserError(N_("Choose a time zone from the list."))
    return value
