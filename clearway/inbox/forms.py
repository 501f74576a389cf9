"""Forms of the inbox's triage: filing an attachment to a child, and a message not for a child."""

from typing import Any

from django import forms

from clearway.core.forms import NHSForm


class FileForm(NHSForm):
    child = forms.ChoiceField(label="Which child is it about?", widget=forms.RadioSelect)
    nhs_number = forms.CharField(
        label="Or another child: their NHS number",
        required=False,
        max_length=20,
        help_text="For example, 999 123 4567",
    )
    requirement = forms.ChoiceField(label="What is it?", widget=forms.RadioSelect)
    note = forms.CharField(label="Note (optional)", required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        children: list[tuple[str, str]],
        requirements: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("child").choices = [*children, ("other", "Another child")]
        self.choice_field("child").error_messages["required"] = "Select the child it is about"
        self.choice_field("requirement").choices = [*requirements, ("", "Another document")]
        self.fields["requirement"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("child") == "other" and not data.get("nhs_number", "").strip():
            self.add_error("nhs_number", "Enter the NHS number of the child it is about")
        return data


class NotForChildForm(NHSForm):
    note = forms.CharField(
        label="What is it?",
        max_length=500,
        help_text="For example: a general enquiry about waiting times, answered by phone",
        error_messages={"required": "Say what the message is"},
    )


class AboutChildForm(NHSForm):
    """A message with nothing to file (no attachment): which child it was about."""

    child = forms.ChoiceField(label="Which child is it about?", widget=forms.RadioSelect)
    nhs_number = forms.CharField(
        label="Or another child: their NHS number", required=False, max_length=20
    )
    note = forms.CharField(
        label="What it says, in a few words",
        max_length=500,
        help_text="For example: mum rang back, happy to opt in; form in the post",
        error_messages={"required": "Say what the message says"},
    )

    def __init__(self, *args: Any, children: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("child").choices = [*children, ("other", "Another child")]
        self.choice_field("child").error_messages["required"] = "Select the child it is about"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("child") == "other" and not data.get("nhs_number", "").strip():
            self.add_error("nhs_number", "Enter the NHS number of the child it is about")
        return data
