"""Forms of the worklist: doing, snoozing and assigning a task, calls, SaLT steps, chase rules."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from clearway.contact.models import CallDecision, CallOutcome
from clearway.contact.recipients import Recipient
from clearway.core.forms import NHSDateField, NHSForm

NOTE_ATTRS = {"rows": 3, "data-language-check": "advice"}


class WorklistFilterForm(NHSForm):
    kind = forms.ChoiceField(label="What to do", required=False)
    who = forms.ChoiceField(
        label="For",
        required=False,
        choices=[("", "Everyone"), ("me", "Assigned to me")],
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("kind").choices = [("", "Everything due"), *kinds]


class DoneForm(NHSForm):
    outcome = forms.CharField(
        label="What was done",
        max_length=300,
        help_text="For example: emailed the school office; the head teacher will send it Friday",
        widget=forms.Textarea(attrs=NOTE_ATTRS),
        error_messages={"required": "Say what was done"},
    )
    done_on = NHSDateField(
        label="Date it was done", required=False, help_text="Leave blank for today"
    )

    def clean_done_on(self) -> dt.date | None:
        day = self.cleaned_data.get("done_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError("Date it was done cannot be in the future")
        return day


class SnoozeForm(NHSForm):
    until = NHSDateField(label="Put aside until")
    reason = forms.CharField(
        label="Why",
        max_length=300,
        error_messages={"required": "Say why the task is put aside"},
        widget=forms.TextInput(),
    )

    def clean_until(self) -> dt.date:
        day = self.cleaned_data["until"]
        if day <= timezone.localdate():
            raise forms.ValidationError("Put aside until a day after today")
        return day


class AssignForm(NHSForm):
    person = forms.ChoiceField(label="Give this task to", required=False)

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("person").choices = [("", "Anyone in the team"), *people]


class CallForm(NHSForm):
    recipient = forms.ChoiceField(label="Who did you ring?", widget=forms.RadioSelect)
    outcome = forms.ChoiceField(
        label="How did the call go?",
        widget=forms.RadioSelect,
        choices=CallOutcome.choices,
        error_messages={"required": "Select how the call went"},
    )
    decision = forms.ChoiceField(
        label="What was agreed?",
        widget=forms.RadioSelect,
        required=False,
        choices=[(CallDecision.NONE.value, "Nothing to decide"), *CallDecision.choices[:3]],
    )
    call_back_on = NHSDateField(label="Day to call back", required=False)
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=NOTE_ATTRS),
        help_text="What was said and agreed, in kind, plain words",
    )

    def __init__(self, *args: Any, recipients: list[Recipient], salt: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.choice_field("recipient")
        field.choices = [
            (r.key, f"{r.name} ({r.relationship}) {r.phone or 'no phone number'}")
            for r in recipients
        ]
        field.error_messages["required"] = "Select who you rang"
        if not salt:
            self.choice_field("decision").choices = [
                (CallDecision.NONE.value, "Nothing to decide"),
                (CallDecision.CALL_BACK.value, CallDecision.CALL_BACK.label),
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == CallDecision.CALL_BACK and not data.get("call_back_on"):
            self.add_error("call_back_on", "Enter the day to call back")
        return data


class InviteCheckForm(NHSForm):
    sent = forms.ChoiceField(
        label="Has the SaLT service sent the family their invitation?",
        widget=forms.RadioSelect,
        choices=[("yes", "Yes"), ("no", "Not yet")],
        error_messages={"required": "Select whether SaLT sent the invitation"},
    )
    sent_on = NHSDateField(label="Date SaLT sent it", required=False)
    check_again_on = NHSDateField(label="Check again on", required=False)
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs=NOTE_ATTRS),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sent") == "yes" and not data.get("sent_on"):
            self.add_error("sent_on", "Enter the date SaLT sent it")
        if data.get("sent") == "no" and not data.get("check_again_on"):
            self.add_error("check_again_on", "Enter when to check again")
        return data


class AppointmentForm(NHSForm):
    known = forms.ChoiceField(
        label="Is the SaLT appointment booked?",
        widget=forms.RadioSelect,
        choices=[("yes", "Yes"), ("no", "Not yet")],
        error_messages={"required": "Select whether the appointment is booked"},
    )
    appointment_on = NHSDateField(label="Appointment date", required=False)
    check_again_on = NHSDateField(label="Ask again on", required=False)
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs=NOTE_ATTRS),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("known") == "yes" and not data.get("appointment_on"):
            self.add_error("appointment_on", "Enter the appointment date")
        if data.get("known") == "no" and not data.get("check_again_on"):
            self.add_error("check_again_on", "Enter when to ask again")
        return data


class OptOutForm(NHSForm):
    choice = forms.ChoiceField(
        label="The family opted out of SaLT. What will the service do?",
        widget=forms.RadioSelect,
        choices=[
            ("proceed", "Go to panel without the SaLT report"),
            ("discharge", "Discharge: the family opted out"),
        ],
        error_messages={"required": "Select what the service will do"},
    )
    why = forms.CharField(
        label="Why",
        max_length=500,
        widget=forms.Textarea(attrs=NOTE_ATTRS),
        error_messages={"required": "Say why: the decision is kept with its reason"},
    )


class ChaseRuleForm(NHSForm):
    request_after_days = forms.IntegerField(
        label="Ask for it this many days after the referral", min_value=0, max_value=365
    )
    chase_after_days = forms.IntegerField(
        label="First chase this many days after asking", min_value=0, max_value=365
    )
    chase_every_days = forms.IntegerField(
        label="Then chase every", min_value=1, max_value=365, help_text="days"
    )
    escalate_after_chases = forms.IntegerField(
        label="Ask the service manager to step in after this many chases", min_value=1, max_value=20
    )
    why = forms.CharField(
        label="Why are you changing it?",
        max_length=300,
        error_messages={"required": "Say why the rule is changing"},
    )
