"""Django form fields rendered with NHS.UK frontend macros.

A form that mixes in :class:`NHSFormMixin` renders each field with ``{{ form.x.as_field_group() }}``
as the NHS.UK component that fits its widget, with the inline error pattern, and gives the page
its error summary through :meth:`NHSFormMixin.error_summary`.
"""

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

FIELD_TEMPLATE = "forms/field.jinja"


class NHSDateWidget(forms.MultiWidget):
    """Three text boxes, day / month / year, as the NHS.UK date input."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            "day": forms.TextInput(),
            "month": forms.TextInput(),
            "year": forms.TextInput(),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        return f"{id_}-day" if id_ else ""


class NHSDateField(forms.Field):
    """A date typed as day, month and year, with the NHS.UK error messages for each way it fails."""

    widget = NHSDateWidget

    def to_python(self, value: Any) -> dt.date | None:
        parts = list(value) if isinstance(value, list | tuple) else [None, None, None]
        day, month, year = (str(p).strip() if p is not None else "" for p in parts)
        label = (str(self.label) if self.label else "Date").capitalize()
        if not (day or month or year):
            return None
        missing = [
            name for name, part in (("day", day), ("month", month), ("year", year)) if not part
        ]
        if missing:
            raise ValidationError(f"{label} must include a {' and a '.join(missing)}", "incomplete")
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise ValidationError(f"{label} must be a real date", "invalid")
        if len(year) != 4:
            raise ValidationError("Year must include 4 numbers", "invalid")
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(f"{label} must be a real date", "invalid") from None

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            label = str(self.label).lower() if self.label else "the date"
            raise ValidationError(f"Enter {label}", "required")


def _widget_component(widget: forms.Widget) -> str:
    if isinstance(widget, NHSDateWidget):
        return "date"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


def field_params(field: forms.BoundField) -> dict[str, Any]:
    """The parameters of the NHS.UK macro for this bound field."""
    widget = field.field.widget
    attrs = dict(widget.attrs)
    classes = attrs.pop("class", "")
    component = _widget_component(widget)
    # Django's Textarea adds rows and cols; the NHS.UK macro sets its own rows.
    rows = attrs.pop("rows", None)
    attrs.pop("cols", None)
    params: dict[str, Any] = {
        "component": component,
        "id": field.auto_id,
        "name": field.html_name,
        "classes": classes,
        "attributes": {k: v for k, v in attrs.items() if v not in (None, False)},
    }
    if component == "textarea" and rows:
        params["rows"] = rows
    if component in {"radios", "checkboxes", "checkbox"}:
        # The first option takes the field's id, so the error summary links to it.
        del params["id"]
        params["idPrefix"] = field.auto_id
    if field.help_text:
        params["hint"] = {"text": str(field.help_text)}
    if field.errors:
        params["errorMessage"] = {"text": " ".join(str(e) for e in field.errors)}
    label = {"text": str(field.label)}
    if component in {"date", "radios", "checkboxes"}:
        params["fieldset"] = {"legend": {"text": str(field.label), "size": "s"}}
    else:
        params["label"] = label
    value = field.value()
    if component == "date":
        if isinstance(value, dt.date):
            day, month, year = value.day, value.month, value.year
        else:
            day, month, year = list(value) if isinstance(value, list | tuple) else [None] * 3
        error = bool(field.errors)
        params["items"] = [
            {
                "name": f"{field.html_name}_{part}",
                "id": f"{field.auto_id}-{part}",
                "label": part.capitalize(),
                "value": "" if v is None else v,
                "width": width,
                "classes": f"nhsuk-input--width-{width}" + (" nhsuk-input--error" if error else ""),
            }
            for part, v, width in (("day", day, 2), ("month", month, 2), ("year", year, 4))
        ]
    elif component in {"radios", "select", "checkboxes"}:
        chosen = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}
        items = [
            {
                "value": str(v),
                "text": str(text),
                ("selected" if component == "select" else "checked"): str(v) in chosen,
            }
            for v, text in getattr(field.field, "choices", [])
        ]
        params["items"] = items
    elif component == "checkbox":
        params["items"] = [{"value": "on", "text": str(field.label), "checked": bool(value)}]
        params.pop("label", None)
        params["fieldset"] = None
    else:
        params["value"] = "" if value is None else value
        params["type"] = getattr(widget, "input_type", "text")
        if params["type"] == "password":
            params["value"] = ""
    return params


class NHSFormMixin:
    """Render every field as its NHS.UK component; give the page an error summary."""

    fields: dict[str, forms.Field]
    errors: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.template_name = FIELD_TEMPLATE  # type: ignore[attr-defined]

    def error_summary(self) -> list[dict[str, str]]:
        """One entry per error, each linking to its field, for the NHS.UK error summary."""
        items = []
        for name, errors in self.errors.items():
            if name == "__all__":
                items += [{"text": str(e), "href": "#main-content-form"} for e in errors]
                continue
            bound = self[name]  # type: ignore[index]
            target = bound.auto_id
            if isinstance(bound.field.widget, NHSDateWidget):
                target = f"{target}-day"
            items += [{"text": str(e), "href": f"#{target}"} for e in errors]
        return items


class NHSForm(NHSFormMixin, forms.Form):
    def choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


class NHSModelForm(NHSFormMixin, forms.ModelForm):
    pass
