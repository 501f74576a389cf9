"""Templates and letters of a referral's service, for tests that need one to hand (the
permission table's walk over every URL)."""

from clearway.contact import letters
from clearway.contact.defaults import ensure_default_templates
from clearway.contact.models import ContactRecord, MessageTemplate
from clearway.contact.recipients import default_recipient
from clearway.pathways.models import Referral
from tests.conftest import TEST_ACTOR


def message_template(referral: Referral) -> MessageTemplate:
    """A template of the referral's service (its defaults, added if need be)."""
    ensure_default_templates(referral.service)
    return MessageTemplate.objects.filter(service=referral.service).order_by("pk")[0]


def recorded_letter(referral: Referral) -> ContactRecord:
    """A letter to the child's default recipient, recorded (the same one if asked again)."""
    recipient = default_recipient(referral)
    assert recipient is not None, "The referral needs a carer with parental responsibility"
    return letters.record_letter(
        TEST_ACTOR, referral, recipient, subject="", body="Hello.", purpose="General"
    )
