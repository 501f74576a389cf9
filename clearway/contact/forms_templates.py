"""Forms for templates and for writing a letter, text message or email from one."""

from typing import Any

from django import forms

from clearway.contact.models import MessageTemplate, TemplateChannel
from clearway.contact.templating import TemplateError, check_fields
from clearway.core.forms import NHSForm
from clearway.services.models import Service

#: The longest text message GOV.UK Notify sends (six joined SMS of 153 characters).
SMS_MAX_CHARS = 918

#: Marks a text box for the live language check (clearway/core/static/core/language-check.js).
LANGUAGE_CHECK = {"data-language-check": "advice"}
LANGUAGE_CHECK_WITH_READING_AGE = {"data-language-check": "reading-age"}


def _merge_fields_known(text: str) -> str:
    try:
        check_fields(text)
    except TemplateError as error:
        raise forms.ValidationError(str(error)) from None
    return text


class TemplateForm(NHSForm):
    name = forms.CharField(
        label="Name",
        max_length=120,
        help_text="What the coordinator sees when choosing it, like \u201cChase the school "
        "report (email)\u201d",
        error_messages={"required": "Enter a name for the template"},
    )
    purpose = forms.ChoiceField(
        label="Used for",
        help_text="Templates for the step being done are offered first",
    )
    channel = forms.ChoiceField(
        label="Sent as",
        choices=TemplateChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a letter, a text message or an email"},
    )
    subject = forms.CharField(
        label="Subject (emails and letters)",
        required=False,
        max_length=200,
        help_text="Letters show it as a heading under \u201cDear \u2026\u201d. Text messages "
        "have no subject",
        widget=forms.TextInput(attrs=LANGUAGE_CHECK),
    )
    body = forms.CharField(
        label="Text",
        help_text="Write merge fields in double brackets, like ((child_first_name)). A letter "
        "adds the address, date, \u201cDear \u2026\u201d and signature itself",
        widget=forms.Textarea(attrs={**LANGUAGE_CHECK_WITH_READING_AGE, "rows": 14}),
        error_messages={"required": "Enter the text of the template"},
    )
    active = forms.BooleanField(
        label="Offer this template when writing to someone",
        required=False,
        initial=True,
        help_text="Templates are never deleted: untick this to stop offering one",
    )

    def __init__(
        self,
        *args: Any,
        service: Service,
        instance: MessageTemplate | None = None,
        purposes: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "purpose": instance.purpose,
                    "channel": instance.channel,
                    "subject": instance.subject,
                    "body": instance.body,
                    "active": instance.active,
                },
            )
        super().__init__(*args, **kwargs)
        self.service = service
        self.instance = instance
        choices = list(purposes)
        if instance is not None and instance.purpose not in dict(choices):
            choices.append((instance.purpose, instance.purpose))
        self.choice_field("purpose").choices = choices

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        clash = MessageTemplate.objects.filter(service=self.service, name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                f"There is already a template called \u201c{name}\u201d: choose another name"
            )
        return name

    def clean_subject(self) -> str:
        return _merge_fields_known(self.cleaned_data["subject"])

    def clean_body(self) -> str:
        return _merge_fields_known(self.cleaned_data["body"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel = data.get("channel")
        if channel == TemplateChannel.EMAIL and "subject" in data and not data["subject"].strip():
            self.add_error("subject", "Enter a subject for the email")
        if channel == TemplateChannel.SMS:
            data["subject"] = ""
        return data


class MessageForm(NHSForm):
    """The letter, text message or email as it will go, after merging: the person may edit it.

    ``recipient`` is only a key: the view finds the person again on the server. ``token`` is
    made when the page is shown, so sending the same form twice sends one message.
    """

    recipient = forms.CharField(widget=forms.HiddenInput)
    template = forms.CharField(widget=forms.HiddenInput, required=False)
    token = forms.UUIDField(widget=forms.HiddenInput)
    task = forms.IntegerField(widget=forms.HiddenInput, required=False)
    purpose = forms.CharField(widget=forms.HiddenInput, required=False)
    requirement = forms.CharField(widget=forms.HiddenInput, required=False)
    subject = forms.CharField(
        label="Subject",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=LANGUAGE_CHECK),
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={**LANGUAGE_CHECK, "rows": 14}),
        error_messages={"required": "Enter the message"},
    )

    def __init__(self, *args: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel == TemplateChannel.LETTER:
            self.fields["subject"].label = "Heading (under \u201cDear \u2026\u201d)"
            body = self.fields["body"]
            body.label = "Letter"
            body.help_text = "The letter adds the address, the date, “Dear …” and the signature"
            body.error_messages["required"] = "Enter the letter"
        elif channel == TemplateChannel.SMS:
            del self.fields["subject"]
            self.fields["body"].label = "Text message"
            self.fields["body"].widget.attrs["rows"] = 6
            self.fields["body"].help_text = f"Up to {SMS_MAX_CHARS} characters"
            self.fields["body"].error_messages["required"] = "Enter the text message"
        else:
            self.fields["body"].label = "Email"
            self.fields["body"].error_messages["required"] = "Enter the email"

    def clean_body(self) -> str:
        body = str(self.cleaned_data["body"]).strip()
        if self.channel == TemplateChannel.SMS and len(body) > SMS_MAX_CHARS:
            raise forms.ValidationError(
                f"The text message is {len(body):,} characters long: make it "
                f"{SMS_MAX_CHARS} characters or fewer"
            )
        return _merge_fields_known(body)

    def clean_subject(self) -> str:
        subject = str(self.cleaned_data.get("subject") or "").strip()
        if self.channel == TemplateChannel.EMAIL and not subject:
            raise forms.ValidationError("Enter a subject for the email")
        return _merge_fields_known(subject)
