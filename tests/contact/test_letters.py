"""Letters: recorded as sent, printed as an A4 PDF by WeasyPrint, never reaching the network.

No PDF text extractor is installed (pypdf, pdftotext), so the text is read from WeasyPrint's
own laid-out pages, the same pages it writes to the PDF.
"""

import datetime as dt
import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from clearway.contact import letters
from clearway.contact.models import Channel, ContactRecord, RecipientKind, ServiceContactDetails
from clearway.contact.recipients import ContactRefused, Recipient, default_recipient
from clearway.pathways.models import Patient, Referral, School
from clearway.services.models import Service
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.django_db

MM = 96 / 25.4  # CSS pixels in a millimetre


def page_text(document: Any) -> list[str]:
    """The text of each page, as WeasyPrint laid it out."""
    from weasyprint.formatting_structure.boxes import TextBox

    return [
        " ".join(
            box.text
            for box in page._page_box.descendants(placeholders=True)
            if isinstance(box, TextBox)
        )
        for page in document.pages
    ]


def boxes_of(document: Any, css_class: str) -> list[Any]:
    return [
        box
        for box in document.pages[0]._page_box.descendants(placeholders=True)
        if getattr(box, "element", None) is not None
        and css_class in (box.element.get("class") or "").split()
    ]


@pytest.fixture
def details(service: Service) -> ServiceContactDetails:
    return ServiceContactDetails.objects.create(
        service=service,
        phone="01632 960000",
        email="scd.team@nhs.example",
        address="Children's Centre\nHospital Road\nTestford\nTF1 1AA",
        signature="Alex Morgan, SCD coordinator",
    )


@pytest.fixture
def referral(make_referral: Callable[..., Referral], details: ServiceContactDetails) -> Referral:
    return make_referral(
        given_name="Rowan",
        family_name="Ellery",
        birth_date=dt.date(2017, 3, 1),
        address="12 Oak Lane\nTestford",
        postcode="TF2 2BB",
    )


def test_a_letter_is_an_a4_pdf_with_the_letterhead_address_date_and_words(
    referral: Referral,
) -> None:
    recipient = default_recipient(referral)
    assert recipient is not None
    body = "We are writing about Rowan's assessment.\n\nPlease call us if you have questions."

    pdf = letters.render_letter_pdf(
        referral, recipient, "Rowan's assessment", body, on=dt.date(2025, 5, 3)
    )
    document = letters.letter_document(
        referral, recipient, "Rowan's assessment", body, on=dt.date(2025, 5, 3)
    )

    assert pdf.startswith(b"%PDF")
    (page,) = document.pages
    assert round(page.width / MM) == 210 and round(page.height / MM) == 297  # A4
    (text,) = page_text(document)
    for expected in (
        "Rowan Ellery",  # the child, in the "About" line
        "born 1 March 2017",
        "Children's Centre",  # the letterhead
        "Phone: 01632 960000",
        "Email: scd.team@nhs.example",
        "Jo Testcase",  # the recipient
        "12 Oak Lane",
        "TF2 2BB",
        "3 May 2025",
        "Dear Jo Testcase,",
        "Rowan's assessment",
        "We are writing about Rowan's assessment.",
        "Please call us if you have questions.",
        "Yours sincerely,",
        "Alex Morgan, SCD coordinator",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_the_address_sits_in_the_window_of_a_dl_envelope(referral: Referral) -> None:
    recipient = default_recipient(referral)
    assert recipient is not None
    document = letters.letter_document(referral, recipient, "", "Hello.")
    (address,) = [b for b in boxes_of(document, "address") if b.element_tag == "div"]
    # The window: 20 mm from the left edge of the page, 45 to 90 mm from its top.
    assert address.position_x / MM == pytest.approx(20, abs=1)
    assert address.position_y / MM >= 45 and (address.position_y + address.height) / MM <= 90
    assert address.width / MM <= 95


def test_schools_and_unnamed_social_workers_are_dear_colleague(referral: Referral) -> None:
    school = Recipient("school", RecipientKind.SCHOOL, "Oak Primary", "school", address="Oak St")
    worker = Recipient(
        "social_worker", RecipientKind.SOCIAL_WORKER, "The child's social worker", ""
    )
    named = Recipient("social_worker", RecipientKind.SOCIAL_WORKER, "Kim Shaw", "social worker")
    assert letters.greeting(school) == "Dear colleague"
    assert letters.greeting(worker) == "Dear colleague"
    assert letters.greeting(named) == "Dear Kim Shaw"


def test_the_text_is_printed_as_written_never_as_html(referral: Referral) -> None:
    recipient = default_recipient(referral)
    assert recipient is not None
    document = letters.letter_document(
        referral, recipient, "", "Sam said <b>hello</b> & <script>waved</script>"
    )
    assert "Sam said <b>hello</b> & <script>waved</script>" in page_text(document)[0]


def test_a_long_letter_runs_on_to_numbered_pages(referral: Referral) -> None:
    recipient = default_recipient(referral)
    assert recipient is not None
    body = "\n\n".join(f"Paragraph {n} of a long letter about the assessment." for n in range(80))
    document = letters.letter_document(referral, recipient, "", body)
    texts = page_text(document)
    assert len(texts) >= 2
    assert f"Page 2 of {len(texts)}" in texts[1]


class CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        CountingHandler.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that counts what is asked of it."""
    CountingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_letters_never_fetch_anything_from_the_network(web_server: str) -> None:
    from weasyprint import HTML

    html = (
        f'<link rel="stylesheet" href="{web_server}/style.css">'
        f'<img src="{web_server}/logo.png" alt="">'
        f"<style>@font-face {{ font-family: X; src: url({web_server}/font.woff2) }}</style>"
        "<p>Hello</p>"
    )
    pdf = HTML(string=html, url_fetcher=letters.no_network_fetcher()).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert CountingHandler.requests == []
    # The same server, asked without the guard, is reached: the test can tell.
    HTML(string=html).write_pdf()
    assert CountingHandler.requests


def test_a_letter_is_recorded_once_even_if_asked_for_twice(
    referral: Referral, coordinator: Any
) -> None:
    recipient = default_recipient(referral)
    assert recipient is not None
    first = letters.record_letter(
        coordinator, referral, recipient, subject="S", body="B", purpose="Chase the consent form"
    )
    again = letters.record_letter(
        coordinator, referral, recipient, subject="S", body="B", purpose="Chase the consent form"
    )
    assert again.pk == first.pk
    assert ContactRecord.objects.filter(referral=referral).count() == 1
    assert first.channel == Channel.LETTER
    assert (first.recipient_name, first.recipient_kind) == ("Jo Testcase", RecipientKind.CARER)
    assert first.recipient_address == "12 Oak Lane\nTestford\nTF2 2BB"
    assert first.actor == coordinator
    assert first.actor_name == str(coordinator)
    other = letters.record_letter(
        coordinator, referral, recipient, subject="S", body="Changed", purpose="Chase"
    )
    assert other.pk != first.pk


def test_no_letter_is_recorded_about_a_child_who_has_died(referral: Referral) -> None:
    recipient = default_recipient(referral)
    assert recipient is not None
    Patient.objects.unscoped().filter(pk=referral.patient_id).update(
        deceased_on=dt.date(2024, 2, 1)
    )
    referral.refresh_from_db()
    referral.patient.refresh_from_db()
    with pytest.raises(ContactRefused, match="recorded as having died"):
        letters.record_letter(TEST_ACTOR, referral, recipient, subject="", body="B", purpose="x")
    assert not ContactRecord.objects.filter(referral=referral).exists()


def test_a_recorded_letter_is_printed_again_as_it_was_sent(
    referral: Referral, coordinator: Any
) -> None:
    school = School.objects.create(name="Oak Primary", address="Oak Street\nTestford")
    recipient = Recipient(
        "school", RecipientKind.SCHOOL, school.name, "school", address=school.address
    )
    record = letters.record_letter(
        coordinator,
        referral,
        recipient,
        subject="School report for Rowan Ellery",
        body="Please send us a short report.",
        purpose="Ask for the school report",
    )
    # The school moves: the letter printed again is addressed as it was sent, and dated then.
    School.objects.filter(pk=school.pk).update(address="New Site\nElsewhere")

    document_text = page_text(
        letters.letter_document(
            record.referral,
            letters.recipient_of(record),
            record.subject,
            record.body,
            on=timezone.localtime(record.at).date(),
        )
    )[0]
    assert "Oak Street" in document_text and "New Site" not in document_text
    assert letters.long_date(timezone.localtime(record.at).date()) in document_text
    assert "Dear colleague," in document_text
    assert "Please send us a short report." in document_text
    assert letters.recorded_letter_pdf(record).startswith(b"%PDF")
    assert letters.letter_filename(record).endswith(f"-{record.pk}.pdf")
