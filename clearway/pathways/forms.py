import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from nhs_number import is_valid, standardise_format

from clearway.core.forms import NHSDateField, NHSForm
from clearway.pathways.models import Consultant, DischargeReason, Priority, School, Source, Status
from clearway.pathways.services import NewReferral, check_new_referral
from clearway.services.models import Service

WAIT_BANDS = {
    "": "Any wait",
    "under-18": "Up to 18 weeks",
    "18-52": "18 to 52 weeks",
    "over-52": "Over 52 weeks",
    "over-104": "Over 104 weeks",
}
STATUS_FILTERS = {
    "waiting": "Waiting (all open)",
    **{s.value: str(s.label) for s in Status},
    "all": "Any status",
}
SORTS = {
    "longest": "Longest wait first",
    "shortest": "Shortest wait first",
    "name": "Name (A to Z)",
}


class NHSNumberField(forms.CharField):
    """An NHS number typed any usual way (spaces or dashes), checked by its check digit."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if not text:
            return ""
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) != 10 or not standardise_format(text.replace(" ", "").replace("-", "")):
            raise forms.ValidationError("NHS number must be 10 digits, like 999 123 4560")
        if not is_valid(digits):
            raise forms.ValidationError(
                f"{digits[:3]} {digits[3:6]} {digits[6:]} is not a valid NHS number: its last "
                "digit does not match. Check the number on the referral letter"
            )
        return digits


class ListFilterForm(NHSForm):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="Name, NHS number or hospital number",
    )
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_FILTERS.items())
    consultant = forms.ChoiceField(label="Consultant", required=False)
    wait = forms.ChoiceField(label="Wait", required=False, choices=WAIT_BANDS.items())
    outstanding = forms.ChoiceField(label="Still waiting for", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORTS.items())

    def __init__(self, *args: Any, requirement_choices: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.choice_field("consultant").choices = [("", "Any consultant")] + [
            (str(c.pk), c.name) for c in Consultant.objects.filter(active=True)
        ]
        self.choice_field("outstanding").choices = [("", "Anything"), *requirement_choices]

    @staticmethod
    def wait_range(band: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
        """The received dates for a wait band: (earliest, latest)."""
        weeks = lambda n: today - dt.timedelta(weeks=n)  # noqa: E731
        return {
            "under-18": (weeks(18), None),
            "18-52": (weeks(52), weeks(18) - dt.timedelta(days=1)),
            "over-52": (None, weeks(52) - dt.timedelta(days=1)),
            "over-104": (None, weeks(104) - dt.timedelta(days=1)),
        }.get(band, (None, None))


class ReferralForm(NHSForm):
    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    birth_date = NHSDateField(label="Date of birth", help_text="For example, 15 3 2017")
    nhs_number = NHSNumberField(
        label="NHS number",
        required=False,
        max_length=14,
        help_text="10 digits. Leave blank if the referral does not give it",
    )
    hospital_number = forms.CharField(label="Hospital number", required=False, max_length=20)
    received_on = NHSDateField(
        label="Date referral received", help_text="The clock starts on this day"
    )
    source = forms.ChoiceField(
        label="Who referred the child", choices=[("", "Select"), *Source.choices]
    )
    priority = forms.ChoiceField(
        label="Clinical priority", choices=Priority.choices, widget=forms.RadioSelect
    )
    consultant = forms.ModelChoiceField(
        label="Consultant",
        queryset=Consultant.objects.filter(active=True),
        required=False,
        empty_label="Not yet allocated",
    )
    school = forms.ModelChoiceField(
        label="School or nursery",
        queryset=School.objects.all(),
        required=False,
        empty_label="Not known",
    )
    gp_practice = forms.CharField(label="GP practice", required=False, max_length=200)
    carer_name = forms.CharField(label="Carer's full name", max_length=120)
    carer_relationship = forms.CharField(
        label="Relationship to the child",
        max_length=60,
        help_text="For example, mother, foster carer",
    )
    carer_parental_responsibility = forms.BooleanField(
        label="This carer has parental responsibility", required=False
    )
    carer_phone = forms.CharField(
        label="Carer's phone number",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "tel"}),
    )
    carer_email = forms.EmailField(label="Carer's email address", required=False)

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        for name in ("given_name", "family_name", "hospital_number", "carer_name"):
            self.fields[name].widget.attrs["spellcheck"] = "false"
        self.fields["nhs_number"].widget.attrs.update(
            {"inputmode": "numeric", "class": "nhsuk-input--width-10"}
        )
        self.fields["hospital_number"].widget.attrs["class"] = "nhsuk-input--width-10"
        messages = {
            "given_name": "Enter the child's first name",
            "family_name": "Enter the child's last name",
            "carer_name": "Enter the carer's full name",
            "carer_relationship": "Enter the carer's relationship to the child",
            "source": "Select who referred the child",
            "priority": "Select the clinical priority",
        }
        for name, message in messages.items():
            self.fields[name].error_messages["required"] = message
        self.fields["carer_email"].error_messages["invalid"] = (
            "Enter an email address in the correct format, like name@example.com"
        )

    def new_referral(self) -> NewReferral:
        data = self.cleaned_data
        carer = {
            "name": data["carer_name"],
            "relationship": data["carer_relationship"],
            "parental_responsibility": data["carer_parental_responsibility"],
            "phone": data["carer_phone"],
            "email": data["carer_email"],
            "main_contact": True,
        }
        return NewReferral(
            service=self.service,
            given_name=data["given_name"].strip(),
            family_name=data["family_name"].strip(),
            birth_date=data["birth_date"],
            received_on=data["received_on"],
            nhs_number=data["nhs_number"] or None,
            hospital_number=data["hospital_number"].strip() or None,
            source=data["source"],
            priority=data["priority"],
            consultant=data["consultant"],
            school=data["school"],
            gp_practice=data["gp_practice"],
            carers=[carer],
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or not data.get("birth_date") or not data.get("received_on"):
            return data
        for field, message in check_new_referral(self.new_referral()).items():
            self.add_error(field, message)
        return data


class RequirementReceivedForm(NHSForm):
    received_on = NHSDateField(label="Date received", help_text="For example, 3 5 2021")

    def clean_received_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("Date received must be today or in the past")
        return value


class DischargeForm(NHSForm):
    reason = forms.ChoiceField(
        label="Why is the child leaving the list?",
        widget=forms.RadioSelect,
        choices=[(r.value, r.label) for r in DischargeReason if r != DischargeReason.ASSESSED],
    )
    effective = NHSDateField(
        label="Date it took effect",
        help_text=(
            "The day it happened, which may be in the past: for example, the date they were seen"
        ),
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the evidence is, in a few words",
    )

    def __init__(self, *args: Any, assessed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if assessed:
            self.choice_field("reason").choices = [
                (DischargeReason.ASSESSED.value, DischargeReason.ASSESSED.label)
            ]
        self.fields["reason"].error_messages["required"] = (
            "Select why the child is leaving the list"
        )

    def clean_effective(self) -> dt.date:
        value: dt.date = self.cleaned_data["effective"]
        if value > timezone.localdate():
            raise forms.ValidationError("Date it took effect must be today or in the past")
        return value


class ReverseDischargeForm(NHSForm):
    why = forms.CharField(
        label="Why was the discharge wrong?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This is kept in the child's history with your name",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["why"].error_messages["required"] = "Say why the discharge was wrong"


class ReverseRequirementForm(NHSForm):
    """Why a report or form recorded as received is being taken back."""

    why = forms.CharField(
        label="Why was it recorded as received by mistake?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, it was another child's report, or it was the SaLT report. "
        "This is kept in the child's history with your name",
    )

    def __init__(self, *args: Any, report: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["why"].error_messages.update(
            {
                "required": f"Say why the {report} was recorded as received by mistake",
                "max_length": "The reason must be 1,000 characters or fewer",
            }
        )


class RetentionApprovalForm(NHSForm):
    """Approve one child's record, past its retention date, for deletion review."""

    child = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the record can go to deletion review, for example who you checked with",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].error_messages["required"] = "Enter a note about this approval"
