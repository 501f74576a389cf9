"""Templates, the language check, and writing a letter, text message or email to a family.

Thin: the words are checked by ``language``, merged by ``templating``, letters are recorded and
printed by ``letters``, messages queued by ``messaging``, templates changed by
``template_services``. Who may be contacted is decided on the server by ``recipients`` every
time, never taken from the form.
"""

import importlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from clearway.accounts.models import Role
from clearway.audit import services as audit
from clearway.audit.models import AuditAction
from clearway.contact import language, letters, recipients, template_services, templating
from clearway.contact.defaults import ensure_default_templates
from clearway.contact.forms_templates import MessageForm, TemplateForm
from clearway.contact.models import (
    ContactRecord,
    MessageTemplate,
    Task,
    TaskKind,
    TaskState,
    TemplateChannel,
)
from clearway.contact.recipients import ContactRefused, Recipient
from clearway.core.permissions import LIST_EDITORS, STAFF, has_role, roles_required
from clearway.pathways.models import Referral
from clearway.services.models import Service

#: Who may change templates; everyone else on the staff may read them.
TEMPLATE_EDITORS = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
#: Who may use the live language check: those who write notes, templates and letters.
LANGUAGE_CHECKERS = (Role.COORDINATOR, Role.SECRETARY, Role.MANAGER, Role.ADMIN)
#: The longest text the language check reads (a long letter is a few thousand characters).
CHECK_MAX_CHARS = 20_000
#: Tasks that writing to someone completes; a call is recorded on the call screen instead.
COMPLETED_BY_WRITING = (TaskKind.REQUEST, TaskKind.CHASE, TaskKind.ESCALATE, TaskKind.CALLBACK)

CHANNEL_WORDS: dict[str, str] = {
    TemplateChannel.LETTER: "letter",
    TemplateChannel.SMS: "text message",
    TemplateChannel.EMAIL: "email",
}
NO_ADDRESS: dict[str, str] = {
    TemplateChannel.LETTER: "No postal address recorded",
    TemplateChannel.SMS: "No mobile number recorded",
    TemplateChannel.EMAIL: "No email address recorded",
}


def _service(request: HttpRequest) -> Service:
    return request.service  # type: ignore[attr-defined]


def _reading(text: str) -> str:
    return language.reading_age_label(language.reading_age(text))


# --- the live language check ---------------------------------------------------------------


@roles_required(*LANGUAGE_CHECKERS)
@require_POST
def language_check(request: HttpRequest) -> HttpResponse:
    """Advice on the words of a note or template as it is written: an HTML fragment for the
    text box's advice region (nothing, 204, when there is no text)."""
    text = request.POST.get("text", "")[:CHECK_MAX_CHARS]
    if not text.strip():
        nothing = HttpResponse(status=204)
        del nothing["Content-Type"]  # no content, so no type: it is not a page
        return nothing
    reading = _reading(text) if request.POST.get("reading_age") else ""
    response = render(
        request,
        "contact/language_check.jinja",
        {"advice": language.check(text), "reading": reading},
    )
    response["Cache-Control"] = "no-store"
    return response


# --- templates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    template: MessageTemplate
    purpose: str
    advice: int


@roles_required(*STAFF)
def template_list(request: HttpRequest) -> HttpResponse:
    service = _service(request)
    ensure_default_templates(service)
    pathway = service.pathway
    templates = MessageTemplate.objects.filter(service=service)
    rows = [
        TemplateRow(
            template,
            template_services.purpose_label(template.purpose, pathway),
            len(language.check(f"{template.subject}\n{template.body}")),
        )
        for template in templates
    ]
    return render(
        request,
        "contact/templates_list.jinja",
        {"rows": rows, "can_edit": has_role(request.user, TEMPLATE_EDITORS)},
    )


def _template_page(
    request: HttpRequest, form: TemplateForm, template: MessageTemplate | None
) -> HttpResponse:
    def text(name: str) -> str:
        value = form[name].value()
        return str(value) if value is not None else ""

    body, subject = text("body"), text("subject")
    return render(
        request,
        "contact/templates_edit.jinja",
        {
            "form": form,
            "template": template,
            "fields": templating.FIELDS,
            "advice": language.check(body),
            "subject_advice": language.check(subject),
            "reading": _reading(body) if body.strip() else "",
        },
    )


def _save_template(
    request: HttpRequest, form: TemplateForm, template: MessageTemplate | None
) -> HttpResponse | None:
    """Save a valid form (unless the person only asked to check the words); None to show the
    page again."""
    if request.POST.get("action") == "check" or not form.is_valid():
        return None
    service = _service(request)
    data = {key: form.cleaned_data[key] for key in ("name", "purpose", "channel", "subject")}
    body, active = form.cleaned_data["body"], form.cleaned_data["active"]
    try:
        if template is None:
            template = template_services.create_template(
                request.user, service, body=body, active=active, **data
            )
            what = "added"
        else:
            template = template_services.update_template(
                request.user, template, body=body, active=active, **data
            )
            what = "changed"
    except templating.TemplateError as error:
        form.add_error(None, str(error))
        return None
    audit.record(request, AuditAction.CHANGE, obj=f"template {template.pk}: {what}")
    messages.success(request, f"\u201c{template.name}\u201d is saved.")
    return redirect("contact:template-edit", pk=template.pk)


@roles_required(*TEMPLATE_EDITORS)
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    service = _service(request)
    form = TemplateForm(
        request.POST if request.method == "POST" else None,
        service=service,
        purposes=template_services.purpose_choices(service.pathway),
        initial={"purpose": template_services.GENERAL},
    )
    if request.method == "POST":
        saved = _save_template(request, form, None)
        if saved is not None:
            return saved
    return _template_page(request, form, None)


@roles_required(*STAFF)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Editors change a template here; the rest of the staff read it."""
    service = _service(request)
    template = get_object_or_404(MessageTemplate, service=service, pk=pk)
    if not has_role(request.user, TEMPLATE_EDITORS):
        if request.method == "POST":
            raise PermissionDenied("Your role does not allow changing templates.")
        return render(
            request,
            "contact/templates_view.jinja",
            {
                "template": template,
                "purpose": template_services.purpose_label(template.purpose, service.pathway),
                "fields": templating.FIELDS,
                "advice": language.check(template.body),
                "reading": _reading(template.body),
            },
        )
    form = TemplateForm(
        request.POST if request.method == "POST" else None,
        service=service,
        instance=template,
        purposes=template_services.purpose_choices(service.pathway),
    )
    if request.method == "POST":
        saved = _save_template(request, form, template)
        if saved is not None:
            return saved
    return _template_page(request, form, template)


# --- writing to someone: a letter, a text message or an email ------------------------------


@dataclass(frozen=True)
class Choice:
    """What the compose page was asked for: the step (task, purpose, requirement), who to and
    which template, each checked against this child and service."""

    task: Task | None
    purpose: str
    requirement: str
    recipient: Recipient | None
    template: MessageTemplate | None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _task_purpose(task: Task) -> str:
    if task.kind in (TaskKind.REQUEST, TaskKind.CHASE) and task.requirement:
        return f"{task.kind}:{task.requirement}"
    if task.kind in (TaskKind.SALT_CALL_CARER, TaskKind.CALLBACK):
        return template_services.SALT_CALL_CARER if task.requirement else "general"
    if task.kind == TaskKind.ESCALATE and task.requirement:
        return f"chase:{task.requirement}"
    return template_services.GENERAL


def _step(referral: Referral, data: Any) -> tuple[Task | None, str, str]:
    """(task, purpose, requirement) the page was opened for, each checked: a task of this
    child's still to do, a purpose and a requirement of this service's pathway."""
    pathway = referral.service.pathway
    task = None
    task_id = _int(data.get("task"))
    if task_id is not None:
        task = (
            Task.objects.for_service(referral.service)
            .filter(referral=referral, pk=task_id, state=TaskState.OPEN)
            .first()
        )
    purpose = str(data.get("purpose") or "")
    if purpose not in dict(template_services.purpose_choices(pathway)):
        purpose = _task_purpose(task) if task else template_services.GENERAL
    requirement = str(data.get("requirement") or (task.requirement if task else ""))
    if requirement not in {r.key for r in pathway.requirements}:
        kind, _, key = purpose.partition(":")
        requirement = key if kind in ("request", "chase") else ""
    return task, purpose, requirement


def _choice(
    referral: Referral,
    data: Any,
    step: tuple[Task | None, str, str],
    people: list[Recipient],
    templates: list[MessageTemplate],
) -> Choice:
    """Who to and which template: as asked (if they are on the list), else the defaults."""
    task, purpose, requirement = step
    asked = str(data.get("recipient") or "")
    recipient = next((person for person in people if person.key == asked), None)
    if recipient is None and "recipient" not in data:
        recipient = _default_recipient(referral, requirement)
    asked = str(data.get("template") or "")
    template = next((t for t in templates if str(t.pk) == asked), None)
    if template is None and "template" not in data and templates:
        template = templates[0]
    return Choice(task, purpose, requirement, recipient, template)


def _default_recipient(referral: Referral, requirement: str) -> Recipient | None:
    """Who is asked for this requirement (the school, SaLT, the family's default), else the
    family's default. Never a carer without parental responsibility."""
    if requirement:
        try:
            ask = referral.service.pathway.requirement(requirement).ask
        except KeyError:
            ask = "carer"
        return recipients.recipient_for_requirement(referral, ask)
    return recipients.default_recipient(referral)


def _templates_for(service: Service, channel: str, purpose: str) -> list[MessageTemplate]:
    """The channel's templates: this step's first, then general ones, then the rest."""
    found = MessageTemplate.objects.filter(service=service, channel=channel, active=True)
    rank = {purpose: 0, template_services.GENERAL: 1}
    return sorted(found, key=lambda t: (rank.get(t.purpose, 2), t.name.lower()))


def _recipient_items(
    people: list[Recipient], channel: str, chosen: Recipient | None
) -> list[dict[str, Any]]:
    """The recipient radios: each person, how they would be reached, and any warning."""
    items = []
    for person in people:
        address = person.address_for(channel).strip()
        hint = " ".join(address.split()) if address else NO_ADDRESS[channel]
        if person.warning:
            hint = f"{hint}. {person.warning}"
        items.append(
            {
                "value": person.key,
                "text": f"{person.name} ({person.relationship})",
                "hint": {"text": hint},
                "checked": chosen is not None and chosen.key == person.key,
                "disabled": not address,
            }
        )
    return items


def _merged(referral: Referral, choice: Choice) -> tuple[str, str, str]:
    """(subject, body, problem): the chosen template merged for the chosen person."""
    if choice.recipient is None or choice.template is None:
        return "", "", ""
    values = templating.merge_fields(referral, choice.recipient, requirement=choice.requirement)
    try:
        subject = templating.render(choice.template.subject, values)
        body = templating.render(choice.template.body, values)
    except templating.TemplateError as error:
        return "", "", str(error)
    return subject, body, ""


def _complete_task(request: HttpRequest, task: Task | None, outcome: str) -> None:
    """Mark the task done that the page was opened from (a request also records the report as
    asked for). The contact is already recorded: if the task cannot be closed, say why."""
    if task is None or task.kind not in COMPLETED_BY_WRITING:
        return
    try:
        services: Any = importlib.import_module("clearway.contact.services")
    except ImportError:  # the worklist is not installed: nothing to complete
        return
    try:
        services.complete_task(request.user, task, outcome)
    except services.WorkError as error:
        messages.info(request, str(error))


def _pdf_response(record: ContactRecord, pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letters.letter_filename(record)}"'
    response["Cache-Control"] = "no-store"
    return response


def _send(
    request: HttpRequest, referral: Referral, channel: str, form: MessageForm, choice: Choice
) -> HttpResponse | None:
    """Record the letter (and hand over its PDF) or queue the message; None if it was refused
    (the form then says why)."""
    data = form.cleaned_data
    try:
        recipient = recipients.recipient_by_key(referral, data["recipient"])
    except ContactRefused as error:
        form.add_error(None, str(error))
        return None
    if not recipient.address_for(channel).strip():
        form.add_error(
            None,
            f"{NO_ADDRESS[channel]} for {recipient.name}. Add it to their record, or choose "
            "someone else.",
        )
        return None
    values = templating.merge_fields(referral, recipient, requirement=choice.requirement)
    subject = templating.render(data.get("subject", ""), values)
    body = templating.render(data["body"], values)
    purpose = template_services.purpose_label(choice.purpose, referral.service.pathway)
    words = CHANNEL_WORDS[channel]
    name = referral.patient.full_name
    if channel == TemplateChannel.LETTER:
        try:
            record = letters.record_letter(
                request.user,
                referral,
                recipient,
                subject=subject,
                body=body,
                purpose=purpose,
                requirement=choice.requirement,
                task=choice.task,
            )
        except ContactRefused as error:
            form.add_error(None, str(error))
            return None
        _complete_task(request, choice.task, f"Letter to {recipient.name}")
        audit.record(
            request, AuditAction.CHANGE, patient=referral.patient, obj=f"contact {record.pk}"
        )
        audit.record(
            request, AuditAction.EXPORT, patient=referral.patient, obj=f"letter {record.pk}"
        )
        messages.success(
            request,
            f"The letter to {recipient.name} about {name} is recorded on {name}'s record.",
        )
        return _pdf_response(record, letters.recorded_letter_pdf(record))
    messaging: Any = importlib.import_module("clearway.contact.messaging")
    try:
        message = messaging.queue_message(
            request.user,
            referral,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            token=data["token"],
            purpose=purpose,
            requirement=choice.requirement,
            task=choice.task,
        )
    except ContactRefused as error:
        form.add_error(None, str(error))
        return None
    _complete_task(request, choice.task, f"{words.capitalize()} to {recipient.name}")
    audit.record(request, AuditAction.CHANGE, patient=referral.patient, obj=f"message {message.pk}")
    messages.success(request, f"The {words} to {recipient.name} about {name} is on its way.")
    return redirect("pathways:referral", pk=referral.pk)


@roles_required(*LIST_EDITORS)
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest, pk: int, channel: str) -> HttpResponse:
    """Write a letter, text message or email to someone about a child, from a template."""
    if channel not in TemplateChannel.values:
        raise Http404("Letters, text messages and emails only.")
    service = _service(request)
    referral = get_object_or_404(
        Referral.objects.for_service(service).select_related("patient", "patient__school"),
        pk=pk,
    )
    audit.record(
        request,
        AuditAction.VIEW_RECORD,
        patient=referral.patient,
        obj=f"referral {referral.pk}: write a {CHANNEL_WORDS[channel]}",
    )
    context: dict[str, Any] = {
        "referral": referral,
        "patient": referral.patient,
        "channel": channel,
        "words": CHANNEL_WORDS[channel],
        "refusal": recipients.refusal(referral),
    }
    if context["refusal"]:
        return render(request, "contact/compose.jinja", context)
    ensure_default_templates(service)
    people = recipients.family_recipients(referral) + recipients.partner_recipients(referral)
    data = request.POST if request.method == "POST" else request.GET
    step = _step(referral, data)
    templates = _templates_for(service, channel, step[1])
    choice = _choice(referral, data, step, people, templates)

    form = None
    problem = ""
    if request.method == "POST":
        form = MessageForm(request.POST, channel=channel)
        if form.is_valid():
            sent = _send(request, referral, channel, form, choice)
            if sent is not None:
                return sent
    elif choice.recipient is not None and choice.recipient.address_for(channel).strip():
        subject, body, problem = _merged(referral, choice)
        if not problem and choice.template is not None:
            form = MessageForm(
                channel=channel,
                initial={
                    "recipient": choice.recipient.key,
                    "template": choice.template.pk,
                    "token": uuid.uuid4(),
                    "task": choice.task.pk if choice.task else None,
                    "purpose": choice.purpose,
                    "requirement": choice.requirement,
                    "subject": subject,
                    "body": body,
                },
            )

    body_text = str(form["body"].value() or "") if form is not None else ""
    subject_text = (
        str(form["subject"].value() or "") if form is not None and "subject" in form.fields else ""
    )
    context.update(
        {
            "form": form,
            "problem": problem,
            "choice": choice,
            "people": people,
            "recipient_items": _recipient_items(people, channel, choice.recipient),
            "template_items": [
                {
                    "value": str(t.pk),
                    "text": t.name,
                    "selected": choice.template is not None and choice.template.pk == t.pk,
                }
                for t in templates
            ],
            "purpose_label": template_services.purpose_label(choice.purpose, service.pathway),
            "advice": language.check(body_text),
            "subject_advice": language.check(subject_text),
        }
    )
    return render(request, "contact/compose.jinja", context)


@roles_required(*STAFF)
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A recorded letter's PDF, made again from the words recorded, to print again."""
    record = get_object_or_404(
        ContactRecord.objects.select_related("referral", "referral__patient"),
        service=_service(request),
        channel=TemplateChannel.LETTER,
        pk=pk,
    )
    audit.record(
        request, AuditAction.EXPORT, patient=record.referral.patient, obj=f"letter {record.pk}"
    )
    return _pdf_response(record, letters.recorded_letter_pdf(record))


urlpatterns = [
    path("language-check/", language_check, name="language-check"),
    path("templates/", template_list, name="templates"),
    path("templates/new/", template_new, name="template-new"),
    path("templates/<int:pk>/", template_edit, name="template-edit"),
    path("referrals/<int:pk>/contact/<str:channel>/", compose, name="compose"),
    path("contacts/<int:pk>/letter.pdf", letter_pdf, name="letter"),
]
