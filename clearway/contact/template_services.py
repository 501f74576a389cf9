"""Changes to letter, SMS and email templates: each names who made it, and when.

A template that names a merge field Clearway does not have is refused here (not only by the
form), so no caller can save one that would leave a gap in a letter to a family.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from clearway.contact.models import MessageTemplate, TemplateChannel
from clearway.contact.templating import TemplateError, check_fields
from clearway.core.actors import actor_fields
from clearway.pathways.definition import PathwayDefinition
from clearway.pathways.presenters import in_sentence
from clearway.services.models import Service

GENERAL = "general"
SALT_CALL_CARER = "salt:call_carer"


def purpose_choices(pathway: PathwayDefinition) -> list[tuple[str, str]]:
    """Every step a template can be offered for, in the pathway's own words."""
    choices = []
    for requirement in pathway.requirements:
        name = in_sentence(requirement.name)
        choices.append((f"request:{requirement.key}", f"Ask for the {name}"))
        choices.append((f"chase:{requirement.key}", f"Chase the {name}"))
    if any(r.salt_follow_up for r in pathway.requirements):
        choices.append((SALT_CALL_CARER, "SaLT follow-up: we tried to ring the carer"))
    choices.append((GENERAL, "General: any other message"))
    return choices


def purpose_label(purpose: str, pathway: PathwayDefinition) -> str:
    """A purpose key in plain words ("Chase the school report"); the key itself if unknown."""
    return dict(purpose_choices(pathway)).get(purpose, purpose.replace("_", " ") or "General")


def _checked(
    service: Service, name: str, channel: str, subject: str, body: str, exclude: int | None
) -> tuple[str, str, str]:
    name = name.strip()
    if not name:
        raise TemplateError("Enter a name for the template.")
    if channel not in TemplateChannel.values:
        raise TemplateError("Choose a letter, a text message or an email.")
    if not body.strip():
        raise TemplateError("Enter the text of the template.")
    if channel == TemplateChannel.SMS:
        subject = ""  # a text message has no subject
    check_fields(subject)
    check_fields(body)
    clash = MessageTemplate.objects.filter(service=service, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise TemplateError(f"There is already a template called \u201c{name}\u201d.")
    return name, subject.strip(), body.strip()


@transaction.atomic
def create_template(
    actor: Any,
    service: Service,
    *,
    name: str,
    purpose: str,
    channel: str,
    subject: str,
    body: str,
    active: bool = True,
) -> MessageTemplate:
    """A new template for the service. Raises :class:`TemplateError` with a plain message."""
    author = actor_fields(actor)["actor_name"]
    name, subject, body = _checked(service, name, channel, subject, body, exclude=None)
    return MessageTemplate.objects.create(
        service=service,
        name=name,
        purpose=purpose or GENERAL,
        channel=channel,
        subject=subject,
        body=body,
        active=active,
        updated_at=timezone.now(),
        updated_by_name=author,
    )


@transaction.atomic
def update_template(
    actor: Any,
    template: MessageTemplate,
    *,
    name: str,
    purpose: str,
    channel: str,
    subject: str,
    body: str,
    active: bool = True,
) -> MessageTemplate:
    """Change a template. Letters and messages already sent keep the words they were sent with
    (each contact record holds its own text)."""
    author = actor_fields(actor)["actor_name"]
    name, subject, body = _checked(
        template.service, name, channel, subject, body, exclude=template.pk
    )
    template.name = name
    template.purpose = purpose or GENERAL
    template.channel = channel
    template.subject = subject
    template.body = body
    template.active = active
    template.updated_at = timezone.now()
    template.updated_by_name = author
    template.save()
    return template
