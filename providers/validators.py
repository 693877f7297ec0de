"""Formats of the identifiers providers give us, checked where the format is published."""

import re

from django.core.exceptions import ValidationError

HCPC = re.compile(r"^(SL|OT|PH|AS|PYL)\d{4,6}$")
PATTERNS = {
    "companies_house_number": (
        re.compile(r"^(\d{8}|(SC|NI|OC|SO|NC|R0|IP|SP|RC|SI|NL|FC|GE|LP|SL|NP|ZC|SA|SF|NO|NA|NF|NZ)\d{6})$"),
        "A Companies House number is 8 characters, like 01234567 or SC123456.",
    ),
    "charity_number": (
        re.compile(r"^(\d{6,7}(-\d{1,2})?|SC0\d{5})$"),
        "A charity number is 6 or 7 digits, like 1123456.",
    ),
    "nhs_ods_code": (re.compile(r"^[A-Z0-9]{3,6}$"), "An NHS ODS code is 3 to 6 letters and digits, like RVV."),
    "dfe_urn": (re.compile(r"^\d{6}$"), "A DfE URN is 6 digits, like 118765."),
    "postcode": (
        re.compile(r"^(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})$"),
        "Enter a real postcode, like ME14 1XQ.",
    ),
}


def normalise(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def normalise_postcode(value: str) -> str:
    compact = normalise(value)
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def validate_identifier(field: str, value: str) -> str:
    """The normalised identifier, or a ValidationError for `field` explaining the expected format."""
    if not value:
        return ""
    value = normalise_postcode(value) if field == "postcode" else normalise(value)
    pattern, message = PATTERNS[field]
    if not pattern.match(value):
        raise ValidationError({field: message})
    return value


def validate_registration(body: str, number: str) -> str:
    """A professional registration number, checked against the body's published format where known."""
    value = normalise(number)
    if not value:
        raise ValidationError({"registration_number": "Enter the registration number."})
    if body == "hcpc" and not HCPC.match(value):
        raise ValidationError(
            {
                "registration_number": "An HCPC number is the profession's letters (SL, OT, PH, AS or PYL) "
                "and then digits, like SL12345."
            }
        )
    if not re.match(r"^[A-Z0-9/-]{3,20}$", value):
        raise ValidationError({"registration_number": "A registration number is 3 to 20 letters and digits."})
    return value


def validate_dbs_number(number: str) -> str:
    value = normalise(number)
    if not re.match(r"^\d{12}$", value):
        raise ValidationError({"dbs_certificate_number": "A DBS certificate number is 12 digits."})
    return value
