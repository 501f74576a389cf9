"""Who may be contacted about a child, and who is offered first: the contact safeguards.

- No contact at all is offered for a child recorded as deceased, or a referral no longer open.
- A looked-after child's contact goes to their social worker: they are the default recipient.
- A carer without parental responsibility is never the default recipient (they can still be
  chosen, with a warning, e.g. a grandparent the family asked us to ring).
"""

import datetime as dt
from dataclasses import dataclass

from clearway.contact.models import RecipientKind
from clearway.contact.notify import InvalidRecipient, uk_mobile_number
from clearway.pathways.models import OPEN, Referral


class ContactRefused(Exception):
    """Contact Clearway will not make, with the reason in plain words."""


@dataclass(frozen=True)
class Recipient:
    """Someone who can be contacted about this child, and how."""

    key: str
    kind: str
    name: str
    #: "mother", "social worker", "school": for the call screen and letters.
    relationship: str
    phone: str = ""
    email: str = ""
    address: str = ""
    #: A carer with parental responsibility, the social worker of a looked-after child, or a
    #: school or SaLT service for their report.
    responsible: bool = True
    warning: str = ""

    def address_for(self, channel: str) -> str:
        """How they are reached by this channel; "" if not: a text message needs a UK mobile
        number (a school's or SaLT's landline cannot take one)."""
        if channel == "sms":
            try:
                uk_mobile_number(self.phone)
            except InvalidRecipient:
                return ""
            return self.phone
        return {"phone": self.phone, "email": self.email}.get(channel, self.address)


def refusal(referral: Referral, today: dt.date | None = None) -> str:
    """Why no one may be contacted about this referral, or "" if they may."""
    patient = referral.patient
    if patient.deceased_on is not None:
        return (
            f"{patient.full_name} is recorded as having died on "
            f"{patient.deceased_on.day} {patient.deceased_on:%B %Y}. "
            "Clearway does not contact anyone about this referral."
        )
    if referral.status not in OPEN:
        return f"{patient.full_name} is no longer on the list, so no contact is made about it."
    return ""


def check_contact_allowed(referral: Referral) -> None:
    why = refusal(referral)
    if why:
        raise ContactRefused(why)


def family_recipients(referral: Referral) -> list[Recipient]:
    """The social worker (looked-after children) and carers, the default first.

    Empty when contact is refused (:func:`refusal`).
    """
    if refusal(referral):
        return []
    patient = referral.patient
    people: list[Recipient] = []
    if patient.looked_after:
        people.append(
            Recipient(
                key="social_worker",
                kind=RecipientKind.SOCIAL_WORKER,
                name=patient.social_worker_name or "The child's social worker",
                relationship="social worker",
                phone=patient.social_worker_phone,
                email=patient.social_worker_email,
            )
        )
    for carer in patient.carers.all():
        warning = ""
        if not carer.parental_responsibility:
            warning = f"{carer.name} does not have parental responsibility."
        if patient.looked_after:
            warning = (
                f"{patient.given_name} is a looked-after child: contact goes to their "
                "social worker. " + warning
            ).strip()
        people.append(
            Recipient(
                key=f"carer:{carer.pk}",
                kind=RecipientKind.CARER,
                name=carer.name,
                relationship=carer.relationship,
                phone=carer.phone,
                email=carer.email,
                address=carer.address or f"{patient.address}\n{patient.postcode}".strip(),
                responsible=carer.parental_responsibility and not patient.looked_after,
                warning=warning,
            )
        )
    # The default is first: social worker if looked after, else a carer with parental
    # responsibility (the main contact first, as carers are ordered). Never one without it.
    people.sort(key=lambda r: (r.kind != RecipientKind.SOCIAL_WORKER, not r.responsible))
    return people


def default_recipient(referral: Referral) -> Recipient | None:
    """Who is contacted unless the coordinator chooses otherwise: never a carer without
    parental responsibility; None if there is no one suitable (the page says so)."""
    people = family_recipients(referral)
    if people and people[0].responsible:
        return people[0]
    return None


def recipient_by_key(referral: Referral, key: str) -> Recipient:
    """The recipient the coordinator chose, checked again on the server (not trusted from the
    form): refused if contact is refused or the key names no one on this child's record."""
    check_contact_allowed(referral)
    for person in family_recipients(referral) + partner_recipients(referral):
        if person.key == key:
            return person
    raise ContactRefused("Choose who to contact from the list.")


def partner_recipients(referral: Referral) -> list[Recipient]:
    """The school and the SaLT service, asked for their reports."""
    if refusal(referral):
        return []
    people = []
    school = referral.patient.school
    if school is not None:
        people.append(
            Recipient(
                key="school",
                kind=RecipientKind.SCHOOL,
                name=school.name,
                relationship="school",
                phone=school.phone,
                email=school.email,
                address=school.address,
            )
        )
    details = getattr(referral.service, "contact_details", None)
    if details is not None and details.salt_service_name:
        people.append(
            Recipient(
                key="salt",
                kind=RecipientKind.SALT,
                name=details.salt_service_name,
                relationship="SaLT service",
                phone=details.salt_phone,
                email=details.salt_email,
            )
        )
    return people


def recipient_for_requirement(referral: Referral, ask: str) -> Recipient | None:
    """Who is asked for a requirement (the pathway's ``ask``): the school, SaLT, or the
    family's default recipient."""
    if ask == "carer":
        return default_recipient(referral)
    return next((r for r in partner_recipients(referral) if r.kind == ask), None)
