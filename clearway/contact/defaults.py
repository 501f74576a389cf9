"""The templates every service starts with: kind, plain, and written for a reading age of 9 to 11.

Each is written the way the case asked families to be spoken to: acknowledge their situation,
show care, withhold judgement, and say plainly what happens next. A service changes them in
the app; :func:`ensure_default_templates` only adds those a service does not have yet.

Letters hold only the body: the letter adds the letterhead, the address, the date, "Dear …"
and the signature (``clearway.contact.letters``). SMS and email are whole messages.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from clearway.contact.models import MessageTemplate, TemplateChannel
from clearway.services.models import Service

#: Who made the default templates, as a template's "last changed by" shows it.
DEFAULTS_AUTHOR = "Clearway (default template)"


@dataclass(frozen=True)
class DefaultTemplate:
    name: str
    purpose: str
    channel: str
    subject: str
    body: str

    @property
    def requirement(self) -> str:
        """The requirement key of a request or chase (``school_report``), or ""."""
        kind, _, key = self.purpose.partition(":")
        return key if kind in ("request", "chase") else ""


LETTER = TemplateChannel.LETTER
SMS = TemplateChannel.SMS
EMAIL = TemplateChannel.EMAIL

_SCHOOL_ASK = """\
We are seeing ((child_name)), born ((child_date_of_birth)), about how they talk and get on \
with others. Their NHS number is ((nhs_number)).

Please could you write us a short report about how ((child_first_name)) gets on at school? \
Tell us how they talk and play with other children. Tell us how they get on with adults, \
and how they manage in class. Anything you have noticed will help.

Please send it to ((service_email)). If you have any questions, call us on ((service_phone)).

Thank you for your help."""

_SCHOOL_CHASE = """\
We asked you for a short report about ((child_name)), born ((child_date_of_birth)). Their \
NHS number is ((nhs_number)). We have not had it yet.

We know how busy schools are. The report helps us see ((child_first_name)) as soon as we can. \
Please send it to ((service_email)) when you are able to.

If you have already sent it, thank you, and please let us know. If you have any questions, \
call us on ((service_phone))."""

_CONSENT_ASK = """\
((child_first_name)) is on our list to be seen about how they talk and get on with others. \
We had the referral on ((referral_date)).

Before we can see ((child_first_name)), we need to know that you are happy for us to go \
ahead. Please fill in the form we have sent with this letter and send it back to us.

If you have any questions, or you would like to talk it through, please call us on \
((service_phone)). We are happy to help."""

_CONSENT_CHASE = """\
We wrote to you about ((child_first_name)) and sent you a form to fill in. We have not had \
the form back yet.

We know there is a lot to keep on top of. When you have a moment, please fill in the form \
and send it back to us. Then we can plan the next step for ((child_first_name)).

If the form did not reach you, or you have any questions, please call us on \
((service_phone)). We can send you a new one."""

_SALT_CHASE = """\
Hello,

We are waiting for the speech and language therapy report for ((child_name)), born \
((child_date_of_birth)). Their NHS number is ((nhs_number)). Their appointment with you was \
on ((appointment_date)).

Please could you send the report to ((service_email))? If it is not ready yet, please tell \
us when you expect it. We need it before ((child_first_name)) can be seen at our panel.

Thank you for your help.

((signature))
((service_name))
((service_phone))"""


def _email(greeting: str, body: str) -> str:
    return f"{greeting}\n\n{body}\n\n((signature))\n((service_name))"


DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        "Ask the school for a report (email)",
        "request:school_report",
        EMAIL,
        "School report for ((child_name)), born ((child_date_of_birth))",
        _email("Hello,", _SCHOOL_ASK),
    ),
    DefaultTemplate(
        "Ask the school for a report (letter)",
        "request:school_report",
        LETTER,
        "School report for ((child_name))",
        _SCHOOL_ASK,
    ),
    DefaultTemplate(
        "Chase the school report (email)",
        "chase:school_report",
        EMAIL,
        "School report for ((child_name)), born ((child_date_of_birth))",
        _email("Hello,", _SCHOOL_CHASE),
    ),
    DefaultTemplate(
        "Chase the school report (letter)",
        "chase:school_report",
        LETTER,
        "School report for ((child_name))",
        _SCHOOL_CHASE,
    ),
    DefaultTemplate(
        "Ask the family for the consent form (letter)",
        "request:consent",
        LETTER,
        "((child_first_name))'s assessment: a form for you to fill in",
        _CONSENT_ASK,
    ),
    DefaultTemplate(
        "Ask the family for the consent form (email)",
        "request:consent",
        EMAIL,
        "((child_first_name))'s assessment: a form for you to fill in",
        _email("Hello ((recipient_name)),", _CONSENT_ASK.replace("with this letter", "to you")),
    ),
    DefaultTemplate(
        "Chase the consent form (letter)",
        "chase:consent",
        LETTER,
        "((child_first_name))'s assessment: the form we sent you",
        _CONSENT_CHASE,
    ),
    DefaultTemplate(
        "Chase the consent form (text message)",
        "chase:consent",
        SMS,
        "",
        "Hello ((recipient_name)), this is ((service_name)). We are still waiting for the form "
        "about ((child_first_name))'s assessment. Please send it back when you can. If you "
        "need a new one, or have any questions, call us on ((service_phone)). Thank you.",
    ),
    DefaultTemplate(
        "Chase the consent form (email)",
        "chase:consent",
        EMAIL,
        "((child_first_name))'s assessment: the form we sent you",
        _email("Hello ((recipient_name)),", _CONSENT_CHASE),
    ),
    DefaultTemplate(
        "Chase the SaLT report (email)",
        "chase:salt_report",
        EMAIL,
        "SaLT report for ((child_name)), NHS number ((nhs_number))",
        _SALT_CHASE,
    ),
    DefaultTemplate(
        "We tried to ring you about SaLT (text message)",
        "salt:call_carer",
        SMS,
        "",
        "Hello ((recipient_name)), this is ((service_name)). We tried to ring you today about "
        "speech and language therapy for ((child_first_name)). Please call us on "
        "((service_phone)) when it suits you. Thank you.",
    ),
    DefaultTemplate(
        "General message (text message)",
        "general",
        SMS,
        "",
        "Hello ((recipient_name)), this is ((service_name)) about ((child_first_name)). "
        "Write your message here. If you have any questions, call us on ((service_phone)).",
    ),
    DefaultTemplate(
        "General message (email)",
        "general",
        EMAIL,
        "About ((child_first_name))",
        _email(
            "Hello ((recipient_name)),",
            "We are writing to you about ((child_first_name)).\n\nWrite your message here.\n\n"
            "If you have any questions, please call us on ((service_phone)) or reply to this "
            "email.",
        ),
    ),
    DefaultTemplate(
        "General letter",
        "general",
        LETTER,
        "About ((child_name))",
        "We are writing to you about ((child_first_name)).\n\nWrite your letter here.\n\n"
        "If you have any questions, please call us on ((service_phone)). We are happy to help.",
    ),
)


def _offered_by(default: DefaultTemplate, service: Service) -> bool:
    """Whether the service's pathway has the step this template is for."""
    requirements = {r.key: r for r in service.pathway.requirements}
    if default.requirement:
        return default.requirement in requirements
    if default.purpose.startswith("salt:"):
        return any(r.salt_follow_up for r in requirements.values())
    return True


@transaction.atomic
def ensure_default_templates(service: Service) -> int:
    """Add each default template the service lacks; return how many it added.

    A default is added only where the service has no template (in use or not) for its purpose
    and channel, and none of its name: a template a service changed, renamed or put out of use
    is never brought back. Running it again adds nothing.
    """
    existing = MessageTemplate.objects.filter(service=service)
    taken = set(existing.values_list("purpose", "channel"))
    names = set(existing.values_list("name", flat=True))
    added = []
    now = timezone.now()
    for default in DEFAULT_TEMPLATES:
        if (default.purpose, default.channel) in taken or default.name in names:
            continue
        if not _offered_by(default, service):
            continue
        added.append(
            MessageTemplate(
                service=service,
                name=default.name,
                purpose=default.purpose,
                channel=default.channel,
                subject=default.subject,
                body=default.body,
                updated_at=now,
                updated_by_name=DEFAULTS_AUTHOR,
            )
        )
    # Two pages opened at once may both add them: the unique name keeps one of each.
    MessageTemplate.objects.bulk_create(added, ignore_conflicts=True)
    return len(added)
