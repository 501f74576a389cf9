import datetime as dt
from typing import Any

from django import forms

from clearway.core.forms import NHSDateField, NHSForm


class AuditSearchForm(NHSForm):
    child = forms.CharField(
        label="Child",
        required=False,
        max_length=20,
        help_text="NHS number or hospital number",
    )
    person = forms.CharField(
        label="Person",
        required=False,
        max_length=150,
        help_text="Username, including one typed in a failed sign-in",
    )
    earliest = NHSDateField(label="From", required=False, help_text="For example, 1 3 2026")
    latest = NHSDateField(label="To", required=False, help_text="For example, 31 3 2026")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].widget.attrs.update(
            {"class": "nhsuk-input--width-10", "spellcheck": "false", "autocomplete": "off"}
        )
        self.fields["person"].widget.attrs.update(
            {"class": "nhsuk-input--width-20", "spellcheck": "false", "autocomplete": "off"}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        earliest: dt.date | None = data.get("earliest")
        latest: dt.date | None = data.get("latest")
        if earliest and latest and latest < earliest:
            self.add_error("latest", "To must be the same as or after From")
        return data
