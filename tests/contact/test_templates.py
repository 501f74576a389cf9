"""Templates: the defaults are kind and plain, merge fields are checked, and the pages let
coordinators and managers change them (recording who and when) while the rest of the staff
read them; the live language check answers as text is typed."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clearway.accounts.models import Role
from clearway.audit.models import AuditAction, AuditEntry
from clearway.contact import template_services
from clearway.contact.defaults import DEFAULT_TEMPLATES, DEFAULTS_AUTHOR, ensure_default_templates
from clearway.contact.forms_templates import SMS_MAX_CHARS
from clearway.contact.language import check, reading_age
from clearway.contact.models import MessageTemplate, ServiceContactDetails, TemplateChannel
from clearway.contact.recipients import default_recipient
from clearway.contact.templating import FIELDS, TemplateError, fields_in, merge_fields, render
from clearway.pathways.models import Referral, School
from clearway.services.models import Service
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.django_db

# --- the default templates -----------------------------------------------------------------


@pytest.mark.parametrize("default", DEFAULT_TEMPLATES, ids=lambda d: d.name)
def test_each_default_template_passes_its_own_language_check(default: Any) -> None:
    assert check(default.subject) == []
    assert check(default.body) == []


@pytest.mark.parametrize("default", DEFAULT_TEMPLATES, ids=lambda d: d.name)
def test_each_default_template_is_easy_to_read(default: Any) -> None:
    age = reading_age(default.body)
    assert age is None or age <= 11, f"{default.name} has a reading age of {age}"


@pytest.mark.parametrize("default", DEFAULT_TEMPLATES, ids=lambda d: d.name)
def test_each_default_template_names_only_known_merge_fields(default: Any) -> None:
    for name in fields_in(default.subject) + fields_in(default.body):
        assert name in FIELDS
    if default.channel == TemplateChannel.SMS:
        assert default.subject == ""
        assert len(default.body) < SMS_MAX_CHARS / 2  # room for long names once merged
    else:
        assert default.subject


def test_the_defaults_cover_every_step_of_the_standard_work() -> None:
    have = {(d.purpose, d.channel) for d in DEFAULT_TEMPLATES}
    letter, sms, email = TemplateChannel.LETTER, TemplateChannel.SMS, TemplateChannel.EMAIL
    assert have >= {
        ("request:school_report", email),
        ("request:school_report", letter),
        ("chase:school_report", email),
        ("chase:school_report", letter),
        ("request:consent", letter),
        ("request:consent", email),
        ("chase:consent", letter),
        ("chase:consent", sms),
        ("chase:consent", email),
        ("chase:salt_report", email),
        ("salt:call_carer", sms),
        ("general", sms),
        ("general", email),
        ("general", letter),
    }
    assert len({d.name for d in DEFAULT_TEMPLATES}) == len(DEFAULT_TEMPLATES)


def test_letters_leave_the_greeting_and_signature_to_the_letter() -> None:
    for default in DEFAULT_TEMPLATES:
        if default.channel == TemplateChannel.LETTER:
            assert not default.body.startswith(("Dear", "Hello"))
            assert "((signature))" not in default.body


def test_default_templates_are_added_once(service: Service) -> None:
    assert ensure_default_templates(service) == len(DEFAULT_TEMPLATES)
    assert ensure_default_templates(service) == 0
    templates = MessageTemplate.objects.filter(service=service)
    assert templates.count() == len(DEFAULT_TEMPLATES)
    assert {t.updated_by_name for t in templates} == {DEFAULTS_AUTHOR}


def test_a_changed_renamed_or_retired_default_is_never_brought_back(service: Service) -> None:
    ensure_default_templates(service)
    sms = MessageTemplate.objects.get(service=service, purpose="chase:consent", channel="sms")
    default_name = sms.name
    template_services.update_template(
        TEST_ACTOR,
        sms,
        name="Consent reminder",
        purpose=sms.purpose,
        channel=sms.channel,
        subject="",
        body="Hello ((recipient_name)), a reminder about the form. Thank you.",
        active=False,
    )
    assert ensure_default_templates(service) == 0
    assert not MessageTemplate.objects.filter(service=service, name=default_name).exists()


def test_a_service_gets_defaults_only_for_the_steps_its_pathway_has(
    other_service: Service,
) -> None:
    ensure_default_templates(other_service)  # autism: no SaLT report, no SaLT follow-up
    purposes = set(
        MessageTemplate.objects.filter(service=other_service).values_list("purpose", flat=True)
    )
    assert "chase:salt_report" not in purposes and "salt:call_carer" not in purposes
    assert {"request:school_report", "chase:consent", "general"} <= purposes


# --- merge fields --------------------------------------------------------------------------


def test_a_template_is_merged_for_the_child_and_the_person_written_to(
    service: Service, make_referral: Callable[..., Referral]
) -> None:
    ServiceContactDetails.objects.create(
        service=service, phone="01632 960000", email="scd@nhs.example", signature="Alex Morgan"
    )
    school = School.objects.create(name="Oak Primary")
    referral = make_referral(
        given_name="Rowan",
        family_name="Ellery",
        birth_date=dt.date(2017, 3, 1),
        received_on=dt.date(2024, 6, 5),
        nhs_number="9991000003",
        school=school,
    )
    values = merge_fields(
        referral,
        default_recipient(referral),
        requirement="school_report",
        today=dt.date(2025, 1, 2),
    )
    text = render(
        "Dear ((recipient_name)), about ((child_first_name)) (((child_name)), born "
        "((child_date_of_birth)), NHS ((nhs_number))) at ((school_name)): the ((requirement)), "
        "referred ((referral_date)). Call ((service_phone)) or email ((service_email)). "
        "((signature)), ((today))",
        values,
    )
    assert text == (
        "Dear Jo Testcase, about Rowan (Rowan Ellery, born 1 March 2017, NHS 999 100 0003) at "
        "Oak Primary: the school report, referred 5 June 2024. Call 01632 960000 or email "
        "scd@nhs.example. Alex Morgan, 2 January 2025"
    )


def test_an_unknown_merge_field_is_refused_by_the_service_naming_it(service: Service) -> None:
    with pytest.raises(TemplateError, match=r"\(\(child_nmae\)\)"):
        template_services.create_template(
            TEST_ACTOR,
            service,
            name="Typo",
            purpose="general",
            channel="sms",
            subject="",
            body="Hello ((child_nmae))",
        )
    assert not MessageTemplate.objects.filter(name="Typo").exists()


# --- the template pages --------------------------------------------------------------------


def form_data(template: MessageTemplate, **changes: Any) -> dict[str, Any]:
    data = {
        "name": template.name,
        "purpose": template.purpose,
        "channel": template.channel,
        "subject": template.subject,
        "body": template.body,
        "active": "on" if template.active else "",
    }
    data.update(changes)
    return data


@pytest.fixture
def chase_email(service: Service) -> MessageTemplate:
    ensure_default_templates(service)
    return MessageTemplate.objects.get(
        service=service, purpose="chase:school_report", channel="email"
    )


def test_staff_see_every_template_with_what_it_is_for(
    client_for: Callable[[str], Client], service: Service
) -> None:
    page = client_for(Role.CLINICIAN).get(reverse("contact:templates")).content.decode()
    assert "Chase the school report (email)" in page
    assert "Chase the school report" in page  # the purpose, in words
    assert "No blaming words found" in page
    assert "Add a template" not in page  # clinicians read; they do not change
    page = client_for(Role.COORDINATOR).get(reverse("contact:templates")).content.decode()
    assert "Add a template" in page


def test_a_coordinator_changes_a_template_and_who_and_when_is_recorded(
    coordinator_client: Client, chase_email: MessageTemplate
) -> None:
    url = reverse("contact:template-edit", kwargs={"pk": chase_email.pk})
    page = coordinator_client.get(url).content.decode()
    assert "((recipient_name))" in page and FIELDS["recipient_name"] in page  # the fields
    assert "Reading age: about" in page

    response = coordinator_client.post(
        url, form_data(chase_email, body="Hello. We have not had the report. ((signature))")
    )

    assert response.status_code == 302 and response["Location"] == url
    chase_email.refresh_from_db()
    assert chase_email.body == "Hello. We have not had the report. ((signature))"
    assert chase_email.updated_by_name == "Test Coordinator"
    assert chase_email.updated_by_name != DEFAULTS_AUTHOR
    entry = AuditEntry.objects.get(
        action=AuditAction.CHANGE, obj=f"template {chase_email.pk}: changed"
    )
    assert entry.username.startswith("coordinator")
    page = coordinator_client.get(url).content.decode()
    assert "is saved" in page
    assert "by Test Coordinator" in page


def test_an_unknown_merge_field_is_an_error_naming_it_and_nothing_is_saved(
    coordinator_client: Client, chase_email: MessageTemplate
) -> None:
    url = reverse("contact:template-edit", kwargs={"pk": chase_email.pk})
    before = chase_email.body
    response = coordinator_client.post(url, form_data(chase_email, body="Hello ((childs_name))"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Clearway has no merge field ((childs_name))" in page
    assert page.count('href="#id_body"') == 1  # the error summary links to the text box
    chase_email.refresh_from_db()
    assert chase_email.body == before


def test_blaming_words_are_advised_after_saving_but_do_not_stop_it(
    coordinator_client: Client, chase_email: MessageTemplate
) -> None:
    url = reverse("contact:template-edit", kwargs={"pk": chase_email.pk})
    response = coordinator_client.post(
        url, form_data(chase_email, body="You failed to send the report. You must send it now.")
    )
    assert response.status_code == 302
    page = coordinator_client.get(url).content.decode()
    assert "Kinder words to consider" in page
    assert "&ldquo;failed to&rdquo;" in page and "did not, or has not yet" in page
    assert "&ldquo;You must&rdquo;" in page
    assert 'aria-live="polite"' in page and 'data-language-advice-for="id_body"' in page


def test_checking_the_wording_shows_the_advice_without_saving(
    coordinator_client: Client, chase_email: MessageTemplate
) -> None:
    url = reverse("contact:template-edit", kwargs={"pk": chase_email.pk})
    response = coordinator_client.post(
        url, form_data(chase_email, body="Sam DNA again.", action="check")
    )
    assert response.status_code == 200
    assert "was not brought (WNB)" in response.content.decode()
    chase_email.refresh_from_db()
    assert "DNA" not in chase_email.body


def test_an_email_needs_a_subject_and_names_are_unique(
    coordinator_client: Client, chase_email: MessageTemplate
) -> None:
    response = coordinator_client.post(
        reverse("contact:template-new"),
        form_data(chase_email, subject=""),
    )
    page = response.content.decode()
    assert "Enter a subject for the email" in page
    assert f"There is already a template called \u201c{chase_email.name}\u201d" in page


def test_a_manager_adds_a_template(client_for: Callable[[str], Client], service: Service) -> None:
    response = client_for(Role.MANAGER).post(
        reverse("contact:template-new"),
        {
            "name": "Appointment reminder",
            "purpose": "general",
            "channel": "sms",
            "subject": "ignored for a text message",
            "body": "Hello ((recipient_name)), a reminder from ((service_name)).",
            "active": "on",
        },
    )
    template = MessageTemplate.objects.get(service=service, name="Appointment reminder")
    assert response["Location"] == reverse("contact:template-edit", kwargs={"pk": template.pk})
    assert template.subject == ""
    assert template.updated_by_name == "Test Manager"
    assert AuditEntry.objects.filter(obj=f"template {template.pk}: added").exists()


def test_other_staff_read_a_template_but_cannot_change_it(
    client_for: Callable[[str], Client], chase_email: MessageTemplate
) -> None:
    url = reverse("contact:template-edit", kwargs={"pk": chase_email.pk})
    for role in (Role.SECRETARY, Role.CLINICIAN):
        client = client_for(role)
        page = client.get(url).content.decode()
        assert chase_email.name in page and '<form method="post" novalidate id="main' not in page
        assert client.post(url, form_data(chase_email, body="Changed")).status_code == 403
    chase_email.refresh_from_db()
    assert chase_email.body != "Changed"


def test_another_services_template_is_not_found(
    coordinator_client: Client, other_service: Service
) -> None:
    ensure_default_templates(other_service)
    theirs = MessageTemplate.objects.filter(service=other_service).first()
    assert theirs is not None
    url = reverse("contact:template-edit", kwargs={"pk": theirs.pk})
    assert coordinator_client.get(url).status_code == 404


# --- the live language check ---------------------------------------------------------------


@pytest.fixture
def fragment_client(make_user: Callable[..., Any]) -> Client:
    """A client for the check's HTML fragments (not whole pages, so not page-checked)."""
    client = Client()
    client.force_login(make_user(Role.SECRETARY))
    return client


def test_the_language_check_answers_with_advice_as_html(fragment_client: Client) -> None:
    response = fragment_client.post(
        reverse("contact:language-check"), {"text": "Sam did not attend."}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "&ldquo;did not attend&rdquo;" in html and "was not brought" in html
    assert "<html" not in html  # a fragment for the advice region
    assert "Reading age" not in html


def test_the_language_check_gives_a_reading_age_when_asked(fragment_client: Client) -> None:
    text = "We have not had the form yet. Please could you send it back to us when you can?"
    html = fragment_client.post(
        reverse("contact:language-check"), {"text": text, "reading_age": "1"}
    ).content.decode()
    assert "Reading age: about" in html
    assert "Kinder words" not in html


def test_the_language_check_says_nothing_about_no_text(fragment_client: Client) -> None:
    response = fragment_client.post(reverse("contact:language-check"), {"text": "  "})
    assert response.status_code == 204


def test_the_language_check_needs_the_csrf_token(make_user: Callable[..., Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.COORDINATOR))
    url = reverse("contact:language-check")
    assert client.post(url, {"text": "DNA"}).status_code == 403
    # The script sends the form's token in the X-CSRFToken header, as a real page does.
    page = client.get(reverse("contact:templates"))
    token = page.cookies["csrftoken"].value
    client.cookies["csrftoken"] = token
    response = client.post(url, {"text": "DNA"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_pages_load_the_live_check_with_the_pages_nonce_for_those_who_may_use_it(
    client_for: Callable[[str], Client],
) -> None:
    response = client_for(Role.SECRETARY).get(reverse("contact:templates"))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce is not None
    script = re.search(
        r'<script src="([^"]+)" nonce="([^"]+)" defer data-url="([^"]+)"', response.content.decode()
    )
    assert script is not None
    assert script.groups() == (
        "/static/core/language-check.js",
        nonce.group(1),
        reverse("contact:language-check"),
    )
    page = client_for(Role.CLINICIAN).get(reverse("contact:templates")).content.decode()
    assert "language-check.js" not in page  # the check would refuse them
