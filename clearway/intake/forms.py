"""The intake forms: uploads, the column mapping, the worklist's filters, and decisions."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from clearway.core.forms import NHSDateField, NHSForm, field_params
from clearway.intake.models import Outcome, State
from clearway.intake.uploads import max_bytes
from clearway.validation.readers import FIELDS, Column

#: Each field a column can be read as, in the coordinator's words.
FIELD_LABELS = {
    "nhs_number": "NHS number",
    "hospital_number": "Hospital number",
    "name": "Child's full name",
    "family_name": "Last name (surname)",
    "given_name": "First name",
    "birth_date": "Date of birth",
    "referral_date": "Referral date (the clock starts)",
    "consultant": "Consultant",
    "school_report": "School report",
    "salt_report": "SaLT report",
    "consent": "Opt-in and consent form",
    "panel_date": "Panel date (kept, not used)",
    "notes": "Notes (kept, not used)",
    "status": "Status (kept, not used)",
}
assert set(FIELD_LABELS) == set(FIELDS), "every field the reader knows needs a label"
NOT_USED = ""


def file_params(field: forms.BoundField) -> dict[str, Any]:
    """The NHS.UK file upload macro's parameters for a file field."""
    params = field_params(field)
    params.pop("value", None)
    params.pop("type", None)
    return params


class FileForm(NHSForm):
    """One file to upload; a subclass says what it is for."""

    # An empty file reaches the upload checks, whose message names it.
    file = forms.FileField(
        label="File",
        allow_empty_file=True,
        error_messages={
            "required": "Choose a file to upload",
            "invalid": "Choose a file to upload",
        },
    )

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        limit = max_bytes()
        if uploaded.size > limit:
            raise forms.ValidationError(
                f"{uploaded.name}: the file is larger than {limit // 2**20:,} MB, the most "
                "Clearway accepts. Split it, or ask your administrator to raise the limit"
            )
        return uploaded


class LegacyListForm(FileForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "Upload the waiting list"
        self.fields["file"].help_text = (
            "An xlsx, xls, ods or csv file, as the service keeps it. Nothing is added to the "
            "list until you have checked what Clearway read"
        )


class ValidateForm(FileForm):
    as_of = NHSDateField(
        label="Date the PAS extract was taken",
        help_text="Events after this day are not counted. For example, 3 5 2021",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "Upload the PAS extract"
        self.fields["file"].help_text = (
            "A csv file with the columns pas_id, nhs_number, family_name, given_name, "
            "birth_date, event, event_date and clinic"
        )

    def clean_as_of(self) -> dt.date:
        day: dt.date = self.cleaned_data["as_of"]
        if day > timezone.localdate():
            raise forms.ValidationError("Date the PAS extract was taken must be today or earlier")
        return day


class MappingForm(NHSForm):
    """What each column of the list is read as: one choice per column with a header."""

    acknowledge = forms.BooleanField(
        label="I understand that the rows listed as not imported will not be on the list",
        required=False,
    )

    def __init__(self, *args: Any, columns: list[Column], refused: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns = [c for c in columns if not c.header.startswith("column ")]
        self.refused = refused
        choices = [(NOT_USED, "Not used"), *FIELD_LABELS.items()]
        for column in self.columns:
            self.fields[self.key(column)] = forms.ChoiceField(
                label=f"Column {column.letter}: {column.header}",
                choices=choices,
                required=False,
                initial=column.field or NOT_USED,
            )

    @staticmethod
    def key(column: Column) -> str:
        return f"column_{column.letter}"

    def column_fields(self) -> list[tuple[Column, forms.BoundField]]:
        return [(column, self[self.key(column)]) for column in self.columns]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        used: dict[str, Column] = {}
        for column in self.columns:
            chosen = data.get(self.key(column)) or NOT_USED
            if chosen == NOT_USED:
                continue
            if chosen in used:
                first = used[chosen]
                self.add_error(
                    self.key(column),
                    f"Column {first.letter} and column {column.letter} are both read as "
                    f"{FIELD_LABELS[chosen].lower()}: choose one",
                )
            else:
                used[chosen] = column
        return data

    def mapping(self) -> dict[str, str | None]:
        """header -> field (None: not used), for every column with a header."""
        return {
            column.header: (self.cleaned_data.get(self.key(column)) or None)
            for column in self.columns
        }

    def check_acknowledged(self) -> bool:
        if self.refused and not self.cleaned_data.get("acknowledge"):
            self.add_error(
                "acknowledge",
                "Confirm that you understand which rows will not be imported",
            )
            return False
        return True


OUTCOME_FILTERS = [("", "Any outcome"), *Outcome.choices]
CONFIDENCE_FILTERS = [
    ("", "Any confidence"),
    ("high", "High"),
    ("medium", "Medium"),
    ("none", "Not matched"),
]
STATE_FILTERS = [("", "Any"), *State.choices]


class WorklistFilterForm(NHSForm):
    outcome = forms.ChoiceField(label="Outcome", required=False, choices=OUTCOME_FILTERS)
    confidence = forms.ChoiceField(label="Confidence", required=False, choices=CONFIDENCE_FILTERS)
    state = forms.ChoiceField(label="Decision", required=False, choices=STATE_FILTERS)


CONFIRM, REJECT = "confirm", "reject"


class DecisionForm(NHSForm):
    verdict = forms.ChoiceField(
        label="What do you decide?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to take the child off the list"},
    )
    note = forms.CharField(
        label="Why (a note kept with the decision)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when the child stays on the list. For example, what you checked",
    )

    def __init__(self, *args: Any, removal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(REJECT, "Keep the child on the list")]
        if removal:
            choices.insert(0, (CONFIRM, "Confirm: take the child off the list"))
        self.choice_field("verdict").choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("verdict") == REJECT and not (data.get("note") or "").strip():
            self.add_error("note", "Say why the child stays on the list")
        return data


class GroupConfirmForm(NHSForm):
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    note = forms.CharField(
        label="Note kept with each decision (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
