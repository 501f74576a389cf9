"""Merge fields in letters, SMS and email: ``((child_first_name))``, as GOV.UK Notify writes them.

A template names fields from :data:`FIELDS` only; an unknown or misspelt field is an error when
the template is saved, never a gap in a letter a family receives.
"""

import datetime as dt
import re
from collections.abc import Mapping

from django.utils import timezone

from clearway.contact.recipients import Recipient
from clearway.pathways.models import Referral
from clearway.pathways.presenters import in_sentence

FIELD = re.compile(r"\(\(\s*([a-z_]+)\s*\)\)")

#: Every merge field, with what it holds (shown beside the template editor).
FIELDS: dict[str, str] = {
    "child_name": "The child's full name",
    "child_first_name": "The child's first name",
    "child_date_of_birth": "The child's date of birth (1 March 2018)",
    "nhs_number": "The child's NHS number (999 123 4567)",
    "recipient_name": "The name of the person written to",
    "carer_name": "The name of the child's main carer",
    "school_name": "The child's school",
    "referral_date": "The day the referral was received",
    "requirement": "The report or form asked for (school report)",
    "appointment_date": "The SaLT appointment, if known",
    "today": "Today's date",
    "service_name": "The service's name",
    "service_phone": "The service's phone number",
    "service_email": "The service's email address",
    "signature": "Who the letter is from (the SCD coordinator)",
}


class TemplateError(Exception):
    """A template that names a merge field Clearway does not have."""


def long_date(day: dt.date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def fields_in(text: str) -> list[str]:
    return [match.group(1) for match in FIELD.finditer(text)]


def check_fields(text: str) -> None:
    unknown = sorted({name for name in fields_in(text) if name not in FIELDS})
    if unknown:
        listed = ", ".join(f"(({name}))" for name in unknown)
        raise TemplateError(
            f"Clearway has no merge field {listed}. Use one of the fields listed beside the "
            "template."
        )


def merge_fields(
    referral: Referral,
    recipient: Recipient | None = None,
    *,
    requirement: str = "",
    today: dt.date | None = None,
) -> dict[str, str]:
    """The values of every merge field for this referral and recipient."""
    from clearway.core.formatting import format_nhs_number

    patient = referral.patient
    service = referral.service
    details = getattr(service, "contact_details", None)
    main_carer = next(iter(patient.carers.all()), None)
    follow_up = getattr(referral, "salt_follow_up", None)
    name = ""
    if requirement:
        try:
            name = in_sentence(service.pathway.requirement(requirement).name)
        except KeyError:
            name = requirement.replace("_", " ")
    return {
        "child_name": patient.full_name,
        "child_first_name": patient.given_name,
        "child_date_of_birth": long_date(patient.birth_date),
        "nhs_number": format_nhs_number(patient.nhs_number) or "",
        "recipient_name": recipient.name if recipient else "",
        "carer_name": main_carer.name if main_carer else "",
        "school_name": patient.school.name if patient.school else "",
        "referral_date": long_date(referral.received_on),
        "requirement": name,
        "appointment_date": long_date(follow_up.appointment_on if follow_up else None),
        "today": long_date(today or timezone.localdate()),
        "service_name": service.name,
        "service_phone": details.phone if details else "",
        "service_email": details.email if details else "",
        "signature": (details.signature if details else "") or f"The {service.name} team",
    }


def render(text: str, values: Mapping[str, str]) -> str:
    """The text with each ``((field))`` replaced by its value."""
    check_fields(text)
    return FIELD.sub(lambda match: values.get(match.group(1), ""), text)
