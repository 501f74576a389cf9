"""The documents forms: filing a document to a child, and marking one as filed in error."""

from typing import Any

from django import forms

from clearway.core.forms import NHSDateField, NHSForm
from clearway.documents.models import OTHER, OTHER_LABEL
from clearway.pathways.definition import PathwayDefinition

#: The radio value of "another document" (a requirement key is never empty in a form).
OTHER_CHOICE = "other"
NOTE_LIMIT = 1000


class DocumentForm(NHSForm):
    # An empty file reaches the upload checks, whose message names it.
    file = forms.FileField(
        label="File",
        allow_empty_file=True,
        help_text="A PDF, a Word document (docx or doc), an OpenDocument text (odt), or a scan "
        "or photo (jpg, png or tif)",
        error_messages={
            "required": "Choose the file to upload",
            "invalid": "Choose the file to upload",
        },
    )
    requirement = forms.ChoiceField(
        label="What is it?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the document is"},
    )
    received_on = NHSDateField(
        label="Date it arrived",
        help_text="The day the service received it. For example, 3 5 2024",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, who sent it. Do not copy the report's contents here",
        error_messages={"max_length": f"The note must be {NOTE_LIMIT:,} characters or fewer"},
    )

    def __init__(self, *args: Any, pathway: PathwayDefinition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.choice_field("requirement")
        field.choices = [
            *((r.key, r.name) for r in pathway.requirements),
            (OTHER_CHOICE, OTHER_LABEL),
        ]
        field.error_messages["invalid_choice"] = "Choose what the document is"

    def requirement_key(self) -> str:
        """The pathway requirement chosen, or "" for another document."""
        chosen = str(self.cleaned_data["requirement"])
        return OTHER if chosen == OTHER_CHOICE else chosen


class FiledInErrorForm(NHSForm):
    why = forms.CharField(
        label="Why was it filed in error?",
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, it belongs to another child, or it is the SaLT report, not the "
        "school report",
        error_messages={
            "required": "Say why the document was filed in error",
            "max_length": f"The reason must be {NOTE_LIMIT:,} characters or fewer",
        },
    )
