"""Writing to someone about a child: choose who, choose a template, check the words, and
create the letter (a PDF, recorded) or send the text message or email (once, however often
the button is pressed). The safeguards hold on the server, whatever the form says."""

import datetime as dt
import html
import uuid
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clearway.accounts.models import Role
from clearway.audit.models import AuditAction, AuditEntry
from clearway.contact.defaults import ensure_default_templates
from clearway.contact.models import (
    Channel,
    ContactRecord,
    Message,
    MessageTemplate,
    RecipientKind,
    ServiceContactDetails,
    Task,
    TaskKind,
    TaskState,
)
from clearway.pathways import services
from clearway.pathways.models import DischargeReason, Patient, Referral, RequirementState
from clearway.services.models import Service
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.django_db

JO = {
    "name": "Jo Testcase",
    "relationship": "mother",
    "parental_responsibility": True,
    "phone": "07700 900123",
    "email": "jo@example.org",
    "address": "12 Oak Lane\nTestford\nTF2 2BB",
    "main_contact": True,
}
GRAN = {
    "name": "Pat Testcase",
    "relationship": "grandmother",
    "parental_responsibility": False,
    "phone": "07700 900456",
    "main_contact": False,
}


class FormReader(HTMLParser):
    """The fields of one form on a page: hidden inputs, text inputs and text areas, as a
    browser would send them."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None
        self.checked_radios: dict[str, str] = {}
        self.radios: dict[str, list[tuple[str, bool]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = values.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and values.get("type") == "radio":
            self.radios.setdefault(values["name"], []).append(
                (values["value"], "disabled" in values)
            )
            if "checked" in values:
                self.checked_radios[values["name"]] = values["value"]
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")
        elif tag == "textarea":
            self.textarea = values["name"]
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data


def read_form(html: str, form_id: str = "main-content-form") -> FormReader:
    reader = FormReader(form_id)
    reader.feed(html)
    return reader


def compose_url(referral: Referral, channel: str, **query: Any) -> str:
    url = reverse("contact:compose", kwargs={"pk": referral.pk, "channel": channel})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


@pytest.fixture
def details(service: Service) -> ServiceContactDetails:
    return ServiceContactDetails.objects.create(
        service=service,
        phone="01632 960000",
        email="scd.team@nhs.example",
        address="Children's Centre\nHospital Road",
        signature="Alex Morgan, SCD coordinator",
        salt_service_name="Testford SaLT",
        salt_email="salt@nhs.example",
    )


@pytest.fixture
def referral(make_referral: Callable[..., Referral], details: ServiceContactDetails) -> Referral:
    return make_referral(given_name="Rowan", family_name="Ellery", carers=[JO])


def consent_request_task(referral: Referral) -> Task:
    return Task.objects.for_service(referral.service).get(
        referral=referral, kind=TaskKind.REQUEST, requirement="consent", state=TaskState.OPEN
    )


# --- a letter, end to end ------------------------------------------------------------------


def test_a_coordinator_writes_a_letter_from_a_task_and_gets_its_pdf(
    coordinator_client: Client, referral: Referral
) -> None:
    task = consent_request_task(referral)
    url = compose_url(
        referral, "letter", task=task.pk, purpose="request:consent", requirement="consent"
    )

    page = coordinator_client.get(url).content.decode()

    assert "For: Ask for the opt-in and consent form" in page
    choose = read_form(page, "choose-form")
    carer_key = f"carer:{referral.patient.carers.get().pk}"
    assert choose.checked_radios == {"recipient": carer_key}  # the mother, with PR
    template = MessageTemplate.objects.get(name="Ask the family for the consent form (letter)")
    assert f'<option value="{template.pk}" selected>' in page
    form = read_form(page)
    assert form.fields["recipient"] == carer_key
    assert form.fields["task"] == str(task.pk)
    assert uuid.UUID(form.fields["token"])
    assert "Rowan is on our list" in form.fields["body"]  # merged: the child's first name
    assert "((" not in form.fields["body"] + form.fields["subject"]
    assert form.fields["subject"] == "Rowan's assessment: a form for you to fill in"

    edited = form.fields["body"] + "\n\nWe look forward to hearing from you."
    response = coordinator_client.post(url, {**form.fields, "body": edited})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="letter-')
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF")
    record = ContactRecord.objects.get(referral=referral)
    assert record.channel == Channel.LETTER
    assert record.body == edited.strip()
    assert record.subject == "Rowan's assessment: a form for you to fill in"
    assert (record.recipient_name, record.recipient_kind) == ("Jo Testcase", RecipientKind.CARER)
    assert record.recipient_address == "12 Oak Lane\nTestford\nTF2 2BB"
    assert record.purpose == "Ask for the opt-in and consent form"
    assert record.requirement == "consent"
    assert record.task == task
    assert record.actor_name == "Test Coordinator"
    # The task is done, and the form recorded as asked for.
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    assert referral.requirements.get(kind="consent").state == RequirementState.REQUESTED
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, obj=f"letter {record.pk}")
    # Back on the child's record, the banner says it is done.
    record_page = coordinator_client.get(reverse("pathways:referral", kwargs={"pk": referral.pk}))
    assert (
        "The letter to Jo Testcase about Rowan Ellery is recorded" in record_page.content.decode()
    )

    # The same form sent again (a double click) gives the same letter, not a second one.
    again = coordinator_client.post(url, {**form.fields, "body": edited})
    assert again["Content-Type"] == "application/pdf"
    assert ContactRecord.objects.filter(referral=referral).count() == 1


def test_a_recorded_letter_can_be_printed_again_from_its_recorded_words(
    coordinator_client: Client, client_for: Callable[[str], Client], referral: Referral
) -> None:
    page = coordinator_client.get(compose_url(referral, "letter")).content.decode()
    form = read_form(page)
    coordinator_client.post(
        compose_url(referral, "letter"), {**form.fields, "body": "Words as sent."}
    )
    record = ContactRecord.objects.get(referral=referral)

    response = client_for(Role.CLINICIAN).get(reverse("contact:letter", kwargs={"pk": record.pk}))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == (
        f'attachment; filename="letter-{record.at.astimezone().date():%Y-%m-%d}-{record.pk}.pdf"'
    )
    assert response["Cache-Control"] == "no-store"


def test_only_letters_of_this_service_can_be_printed(
    coordinator_client: Client, referral: Referral, other_service: Service
) -> None:
    sms = ContactRecord.objects.create(
        service=referral.service,
        referral=referral,
        channel=Channel.SMS,
        recipient_kind=RecipientKind.CARER,
        recipient_name="Jo",
        purpose="x",
        body="Hello",
        actor_name="t",
    )
    assert (
        coordinator_client.get(reverse("contact:letter", kwargs={"pk": sms.pk})).status_code == 404
    )
    theirs = ContactRecord.objects.create(
        service=other_service,
        referral=referral,
        channel=Channel.LETTER,
        recipient_kind=RecipientKind.CARER,
        recipient_name="Jo",
        purpose="x",
        body="Hello",
        actor_name="t",
    )
    assert (
        coordinator_client.get(reverse("contact:letter", kwargs={"pk": theirs.pk})).status_code
        == 404
    )


def test_blaming_words_are_advised_but_do_not_stop_the_letter(
    coordinator_client: Client, referral: Referral
) -> None:
    url = compose_url(referral, "letter")
    form = read_form(coordinator_client.get(url).content.decode())
    response = coordinator_client.post(
        url, {**form.fields, "body": "Rowan did not attend. You must ring us."}
    )
    assert response["Content-Type"] == "application/pdf"
    assert ContactRecord.objects.get().body == "Rowan did not attend. You must ring us."


def test_the_page_shows_advice_on_the_words_it_offers(
    coordinator_client: Client, referral: Referral, service: Service
) -> None:
    ensure_default_templates(service)
    MessageTemplate.objects.filter(service=service, name="General letter").update(
        body="((child_first_name)) failed to attend."
    )
    general = MessageTemplate.objects.get(service=service, name="General letter")
    page = coordinator_client.get(
        compose_url(referral, "letter", template=general.pk)
    ).content.decode()
    assert "Rowan failed to attend." in page
    assert "Kinder words to consider" in page and "was not brought" in page
    assert 'data-language-check="advice"' in page


def test_merge_fields_typed_into_the_text_are_filled_in_and_unknown_ones_refused(
    coordinator_client: Client, referral: Referral
) -> None:
    url = compose_url(referral, "letter")
    form = read_form(coordinator_client.get(url).content.decode())
    page = coordinator_client.post(url, {**form.fields, "body": "Hello ((chlid_name))"})
    assert "Clearway has no merge field ((chlid_name))" in page.content.decode()
    assert not ContactRecord.objects.exists()
    coordinator_client.post(url, {**form.fields, "body": "About ((child_name))."})
    assert ContactRecord.objects.get().body == "About Rowan Ellery."


# --- who it is to: the safeguards ----------------------------------------------------------


def test_no_contact_is_offered_for_a_child_who_has_died(
    coordinator_client: Client, referral: Referral
) -> None:
    url = compose_url(referral, "letter")
    form = read_form(coordinator_client.get(url).content.decode())
    Patient.objects.unscoped().filter(pk=referral.patient_id).update(
        deceased_on=dt.date(2024, 2, 1)
    )

    page = coordinator_client.get(url).content.decode()

    assert "No contact about this child" in page
    assert "recorded as having died on 1 February 2024" in page
    assert 'name="recipient"' not in page and "Create the letter" not in page
    # A form already on screen is refused too.
    response = coordinator_client.post(url, form.fields)
    assert response.status_code == 200
    assert "recorded as having died" in response.content.decode()
    assert not ContactRecord.objects.exists()


def test_no_contact_is_offered_once_a_child_has_left_the_list(
    coordinator_client: Client, referral: Referral
) -> None:
    services.discharge(TEST_ACTOR, referral, DischargeReason.SEEN_ELSEWHERE, dt.date(2024, 1, 1))
    page = coordinator_client.get(compose_url(referral, "sms")).content.decode()
    assert "is no longer on the list, so no contact is made" in page
    assert "Send the text message" not in page


def test_a_looked_after_childs_social_worker_is_offered_first(
    coordinator_client: Client, make_referral: Callable[..., Referral], details: Any
) -> None:
    referral = make_referral(
        looked_after=True,
        social_worker_name="Kim Shaw",
        social_worker_email="kim.shaw@council.example",
        carers=[JO],
    )
    page = coordinator_client.get(compose_url(referral, "email")).content.decode()
    assert read_form(page, "choose-form").checked_radios == {"recipient": "social_worker"}
    form = read_form(page)
    assert form.fields["recipient"] == "social_worker"
    assert "Hello Kim Shaw," in form.fields["body"]
    assert "looked-after child: contact goes to their social worker" in page  # on the carer


def test_a_carer_without_parental_responsibility_is_never_chosen_for_you(
    coordinator_client: Client, make_referral: Callable[..., Referral], details: Any
) -> None:
    only_gran = make_referral(carers=[GRAN])
    page = coordinator_client.get(compose_url(only_gran, "sms")).content.decode()
    choose = read_form(page, "choose-form")
    assert choose.checked_radios == {}
    assert choose.radios["recipient"][0][0].startswith("carer:")
    assert "Pat Testcase does not have parental responsibility." in page
    assert "Choose who the text message is to" in page
    assert 'id="main-content-form"' not in page

    both = make_referral(carers=[GRAN, {**JO, "main_contact": False}])
    page = coordinator_client.get(compose_url(both, "sms")).content.decode()
    jo = both.patient.carers.get(name="Jo Testcase")
    assert read_form(page, "choose-form").checked_radios == {"recipient": f"carer:{jo.pk}"}

    # Chosen on purpose, with the warning shown, they can be written to.
    gran = only_gran.patient.carers.get()
    page = coordinator_client.get(
        compose_url(only_gran, "sms", recipient=f"carer:{gran.pk}")
    ).content.decode()
    assert "Check before you go on" in page
    assert read_form(page).fields["recipient"] == f"carer:{gran.pk}"


def test_the_recipient_is_found_again_on_the_server_never_taken_from_the_form(
    coordinator_client: Client, referral: Referral, make_referral: Callable[..., Referral]
) -> None:
    other = make_referral(carers=[{**JO, "name": "Someone Else"}])
    url = compose_url(referral, "letter")
    form = read_form(coordinator_client.get(url).content.decode())
    for key in (f"carer:{other.patient.carers.get().pk}", "carer:999999", "nobody"):
        response = coordinator_client.post(url, {**form.fields, "recipient": key})
        assert response.status_code == 200
        assert "Choose who to contact from the list." in response.content.decode()
    assert not ContactRecord.objects.exists()


def test_someone_with_no_address_for_the_channel_is_offered_but_cannot_be_chosen(
    coordinator_client: Client, make_referral: Callable[..., Referral], details: Any
) -> None:
    referral = make_referral(carers=[{**JO, "email": ""}])
    page = coordinator_client.get(compose_url(referral, "email")).content.decode()
    assert "No email address recorded" in page
    assert "There is no email address for Jo Testcase" in page
    assert 'id="main-content-form"' not in page


def test_the_school_is_offered_first_for_a_school_report(
    coordinator_client: Client, make_referral: Callable[..., Referral], details: Any
) -> None:
    from clearway.pathways.models import School

    school = School.objects.create(name="Oak Primary", email="office@oak.example")
    referral = make_referral(carers=[JO], school=school)
    page = coordinator_client.get(
        compose_url(referral, "email", purpose="chase:school_report")
    ).content.decode()
    assert read_form(page, "choose-form").checked_radios == {"recipient": "school"}
    form = read_form(page)
    assert form.fields["subject"].startswith("School report for ")
    assert "We asked you for a short report" in form.fields["body"]


def test_an_unknown_channel_is_not_found(coordinator_client: Client, referral: Referral) -> None:
    assert coordinator_client.get(compose_url(referral, "fax")).status_code == 404


def test_another_services_child_is_not_found(
    client_for: Callable[[str], Client], make_referral: Callable[..., Referral], other_service: Any
) -> None:
    theirs = make_referral(service=other_service)
    assert client_for(Role.COORDINATOR).get(compose_url(theirs, "letter")).status_code == 404


# --- text messages and emails --------------------------------------------------------------


def test_a_text_message_is_sent_once_however_often_the_form_is_sent(
    coordinator_client: Client,
    referral: Referral,
    notify_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = compose_url(referral, "sms", purpose="chase:consent")
    page = coordinator_client.get(url).content.decode()
    form = read_form(page)
    assert form.fields["body"].startswith("Hello Jo Testcase, this is ")
    assert "subject" not in form.fields

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(url, form.fields)
        again = coordinator_client.post(url, form.fields)

    assert response.status_code == again.status_code == 302
    assert response["Location"] == reverse("pathways:referral", kwargs={"pk": referral.pk})
    message = Message.objects.get(referral=referral)
    assert message.token == uuid.UUID(form.fields["token"])
    assert message.to and message.body == form.fields["body"].strip()
    assert ContactRecord.objects.get(message=message).purpose == "Chase the opt-in and consent form"
    banner = coordinator_client.get(response["Location"]).content.decode()
    assert "The text message to Jo Testcase about Rowan Ellery is on its way." in banner


def test_a_refused_message_says_why_and_sends_nothing(
    coordinator_client: Client, make_referral: Callable[..., Referral], notify_server: Any
) -> None:
    referral = make_referral(carers=[{**JO, "phone": "01632 960123"}])  # a landline
    url = compose_url(referral, "sms")
    page = coordinator_client.get(url).content.decode()
    assert "No mobile number recorded" in page  # offered, but cannot be chosen
    # A form sent for her anyway (crafted, or from an old page) is refused in plain words.
    carer = referral.patient.carers.get()
    response = coordinator_client.post(
        url,
        {
            "recipient": f"carer:{carer.pk}",
            "token": str(uuid.uuid4()),
            "purpose": "general",
            "body": "Hello Jo, please ring us.",
        },
    )
    assert response.status_code == 200
    assert "No mobile number recorded for Jo Testcase" in html.unescape(response.content.decode())
    assert not Message.objects.exists()
