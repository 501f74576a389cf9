"""The documents pages as staff use them: upload a report to a child, see it on their record,
download it, and mark one as filed in error."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clearway.accounts.models import Role, User
from clearway.audit.models import AuditAction, AuditEntry
from clearway.documents import services
from clearway.documents.models import Document
from clearway.pathways import services as pathway
from clearway.pathways.models import Event, EventKind, Referral, RequirementState, Status
from clearway.services.models import Service
from tests.conftest import CheckingClient
from tests.documents import files
from tests.documents.conftest import files_in
from tests.documents.factories import stored_document
from tests.pathways.test_views import error_summary, page, text_of, title

pytestmark = pytest.mark.django_db


def upload_url(referral: Referral, requirement: str = "") -> str:
    url = reverse("documents:upload", kwargs={"pk": referral.pk})
    return f"{url}?requirement={requirement}" if requirement else url


def record_url(referral: Referral) -> str:
    return reverse("pathways:referral", kwargs={"pk": referral.pk})


def post_document(
    client: Client,
    referral: Referral,
    name: str = "School report.pdf",
    content: bytes | None = None,
    requirement: str = "school_report",
    received_on: dt.date | None = None,
    note: str = "",
) -> Any:
    day = received_on or timezone.localdate()
    data: dict[str, Any] = {
        "received_on_day": day.day,
        "received_on_month": day.month,
        "received_on_year": day.year,
        "note": note,
    }
    if requirement:
        data["requirement"] = requirement
    if name:
        data["file"] = SimpleUploadedFile(
            name, files.pdf(name) if content is None else content, "application/pdf"
        )
    return client.post(upload_url(referral), data)


def summary_text(response: Any) -> str:
    items = error_summary(response)
    assert items, "no error summary on the page"
    return " ".join(message for message, _ in items)


def document_rows(response: Any) -> list[list[str]]:
    tables = page(response).find_all("table", id="documents-current")
    if not tables:
        return []
    return [
        [cell.all_text() for cell in row.find_all("td")]
        for row in tables[0].find("tbody").find_all("tr")
    ]


def test_the_upload_page_names_the_child_and_preselects_the_report(
    coordinator_client: Client, ella: Referral
) -> None:
    response = coordinator_client.get(upload_url(ella, "salt_report"))
    tree = page(response)
    assert "Upload a report for Ella Testcase" in title(response)
    child = tree.find(id="child").all_text()
    assert "Ella Testcase" in child and "1 January 2016" in child
    radios = {r.attrs["value"]: r for r in tree.find_all("input", type="radio")}
    assert list(radios) == ["school_report", "salt_report", "consent", "other"]
    assert "checked" in radios["salt_report"].attrs
    assert not any("checked" in radios[k].attrs for k in ("school_report", "consent", "other"))
    # A type the pathway does not have preselects nothing.
    tree = page(coordinator_client.get(upload_url(ella, "hearing")))
    assert not any("checked" in r.attrs for r in tree.find_all("input", type="radio"))


def test_a_report_uploaded_is_filed_and_shown_on_the_child_s_record(
    coordinator_client: Client, ella: Referral, upload_dir: Path
) -> None:
    day = timezone.localdate() - dt.timedelta(days=1)
    response = post_document(coordinator_client, ella, received_on=day, note="Posted by school")
    assert response.status_code == 302, summary_text(response)
    assert response["Location"] == record_url(ella) + "#documents"
    document = Document.objects.for_service(ella.service).get()
    assert AuditEntry.objects.filter(
        action=AuditAction.CHANGE,
        patient=ella.patient,
        obj=f"referral {ella.pk}: document {document.pk} filed",
    ).exists()
    record = coordinator_client.get(response["Location"])
    banner = page(record).find(cls="nhsuk-notification-banner").all_text()
    assert "School report.pdf is filed for Ella Testcase as the school report." in banner
    assert "The school report is recorded as received." in banner
    assert "ready for panel" not in banner
    (row,) = document_rows(record)
    assert row[0] == "School report"
    assert row[1].startswith("School report.pdf (PDF, ")
    assert "Posted by school" in row[1]
    assert row[2] == f"{day.day} {day:%B %Y}"
    assert row[3] == "Test Coordinator"
    links = [a.attrs["href"] for a in page(record).find(id="documents-current").find_all("a")]
    assert reverse("documents:download", kwargs={"pk": document.pk}) in links


def test_uploading_the_last_report_makes_the_child_ready_for_panel(
    coordinator_client: Client, make_referral: Callable[..., Referral], upload_dir: Path
) -> None:
    child = make_referral(
        given_name="Ella", requirements={"school_report": "received", "consent": "received"}
    )
    record = coordinator_client.get(record_url(child))
    upload_link = upload_url(child, "salt_report")
    assert upload_link in [a.attrs.get("href") for a in page(record).find_all("a")]
    response = post_document(
        coordinator_client, child, "salt.docx", files.docx(), requirement="salt_report"
    )
    assert response.status_code == 302, summary_text(response)
    child.refresh_from_db()
    assert child.status == Status.READY_FOR_PANEL
    event = Event.objects.get(referral=child, kind=EventKind.REQUIREMENT_RECEIVED)
    assert event.details["ready_for_panel"] is True
    banner = text_of(coordinator_client.get(response["Location"]))
    assert "Ella Testcase is now ready for panel." in banner


BAD = [
    ("page.pdf", files.HTML_PAGE, "page.pdf: is a web page, not a PDF"),
    ("setup.docx", files.PROGRAM, "setup.docx: is a program, not a Word document"),
    ("empty.pdf", b"", "empty.pdf: the file is empty"),
    ("locked.pdf", files.encrypted_pdf(), "locked.pdf: the PDF is password-protected or locked"),
    ("photo.heic", b"\x00\x00\x00\x18ftypheic", "photo.heic: HEIC photos"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_is_named_in_the_error_summary_and_nothing_is_kept(
    coordinator_client: Client,
    ella: Referral,
    upload_dir: Path,
    name: str,
    content: bytes,
    message: str,
) -> None:
    response = post_document(coordinator_client, ella, name, content)
    assert message in summary_text(response)
    assert [href for _, href in error_summary(response)] == ["#id_file"]
    assert title(response).startswith("Error: Upload a report for Ella Testcase")
    assert Document.objects.unscoped().count() == 0
    assert files_in(upload_dir) == []
    assert ella.requirements.get(kind="school_report").state == RequirementState.OUTSTANDING


def test_a_file_over_the_size_limit_is_refused(
    coordinator_client: Client, ella: Referral, upload_dir: Path, settings: Any
) -> None:
    settings.CLEARWAY_UPLOAD_MAX_BYTES = 1024
    content = files.pdf()
    assert len(content) > 1024
    response = post_document(coordinator_client, ella, "scan.pdf", content)
    assert "scan.pdf: the file is larger than 1 KB, the most Clearway accepts" in summary_text(
        response
    )
    assert Document.objects.unscoped().count() == 0
    assert files_in(upload_dir) == []


def test_missing_answers_are_each_named(coordinator_client: Client, ella: Referral) -> None:
    response = coordinator_client.post(upload_url(ella), {})
    assert error_summary(response) == [
        ("Choose the file to upload", "#id_file"),
        ("Choose what the document is", "#id_requirement"),
        ("Enter date it arrived", "#id_received_on-day"),
    ]


def test_a_type_not_in_the_pathway_is_refused(
    coordinator_client: Client, ella: Referral, upload_dir: Path
) -> None:
    response = post_document(coordinator_client, ella, requirement="hearing_test")
    assert summary_text(response) == "Choose what the document is"
    assert files_in(upload_dir) == []


def test_a_discharged_child_s_page_says_no_document_can_be_filed(
    coordinator_client: Client, coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    pathway.discharge(coordinator, ella, "moved_away", timezone.localdate())
    response = coordinator_client.get(upload_url(ella))
    assert "no document can be filed to this referral" in text_of(response)
    assert not page(response).find_all("input", type="file")
    response = post_document(coordinator_client, ella)
    assert "Ella Testcase was discharged on" in summary_text(response)
    assert files_in(upload_dir) == []


def test_the_download_is_an_attachment_of_the_checked_type_never_cached_and_audited(
    clinician_client: Client, coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    document = services.file_document(
        coordinator,
        ella,
        chunks=[files.image("PNG")],
        original_name="Ella's consent form.png",
        requirement="consent",
        received_on=timezone.localdate(),
    )
    response = clinician_client.get(reverse("documents:download", kwargs={"pk": document.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "Ella" in response["Content-Disposition"]
        and "consent form.png" in (response["Content-Disposition"])
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response.getvalue() == files.image("PNG")
    assert AuditEntry.objects.filter(
        action=AuditAction.VIEW_RECORD,
        patient=ella.patient,
        obj=f"referral {ella.pk}: document {document.pk}",
    ).exists()


def test_another_service_s_staff_cannot_download_or_mark_the_document(
    make_user: Callable[..., User],
    other_service: Service,
    ella: Referral,
    upload_dir: Path,
) -> None:
    document = stored_document(ella)
    for role in (Role.COORDINATOR, Role.CLINICIAN):
        theirs = CheckingClient()
        theirs.force_login(make_user(role, services=[other_service]))
        for name in ("documents:download", "documents:file-in-error"):
            response = theirs.get(reverse(name, kwargs={"pk": document.pk}))
            assert response.status_code in (404, 403), (role, name)
            assert b"school-report" not in response.content
        response = theirs.get(reverse("documents:download", kwargs={"pk": document.pk}))
        assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW_RECORD).exists()


def test_a_document_filed_in_error_is_shown_apart_and_no_longer_current(
    coordinator_client: Client, ella: Referral, upload_dir: Path
) -> None:
    post_document(coordinator_client, ella, "wrong child.pdf")
    document = Document.objects.for_service(ella.service).get()
    url = reverse("documents:file-in-error", kwargs={"pk": document.pk})
    form = coordinator_client.get(url)
    warning = page(form).find(id="takes-back").all_text()  # it recorded the school report
    assert "The school report goes back to asked for" in warning
    response = coordinator_client.post(url, {"why": ""})
    assert summary_text(response) == "Say why the document was filed in error"
    response = coordinator_client.post(url, {"why": "It is Emma's report"})
    assert response.status_code == 302
    record = coordinator_client.get(response["Location"])
    assert document_rows(record) == []
    in_error = page(record).find(id="documents-in-error").all_text()
    assert "wrong child.pdf" in in_error and "It is Emma's report" in in_error
    assert "wrong child.pdf is marked as filed in error" in text_of(record)
    assert "The school report is back to asked for." in text_of(record)
    assert ella.requirements.get(kind="school_report").state == RequirementState.OUTSTANDING
    assert AuditEntry.objects.filter(
        obj=f"referral {ella.pk}: document {document.pk} filed in error"
    ).exists()
    # Asked again, the page says it is already marked, and offers no form.
    again = coordinator_client.get(url)
    assert "was marked as filed in error" in text_of(again)
    assert not page(again).find_all("textarea")


def test_the_filed_in_error_page_says_another_copy_keeps_the_report_received(
    coordinator_client: Client, ella: Referral, upload_dir: Path
) -> None:
    post_document(coordinator_client, ella, "first.pdf")
    post_document(coordinator_client, ella, "second.pdf")
    first = Document.objects.for_service(ella.service).get(original_name="first.pdf")
    url = reverse("documents:file-in-error", kwargs={"pk": first.pk})
    shown = page(coordinator_client.get(url))
    stays = shown.find(id="stays-received").all_text()
    assert "The school report stays recorded as received, because another copy is filed: " in (
        stays
    )
    assert "second.pdf" in stays
    assert not shown.find_all(id="takes-back")
    response = coordinator_client.post(url, {"why": "Blank pages"})
    assert response.status_code == 302
    assert "back to asked for" not in text_of(coordinator_client.get(response["Location"]))
    assert ella.requirements.get(kind="school_report").state == RequirementState.RECEIVED


def test_a_booked_child_s_report_is_refused_saying_to_cancel_the_booking(
    coordinator: User,
    coordinator_client: Client,
    make_referral: Callable[..., Referral],
    upload_dir: Path,
) -> None:
    child = make_referral(
        given_name="Ella",
        requirements={"salt_report": RequirementState.RECEIVED, "consent": "received"},
    )
    post_document(coordinator_client, child, "wrong child.pdf")
    pathway.book_for_panel(coordinator, child, dt.date(2030, 3, 5))
    document = Document.objects.for_service(child.service).get()
    url = reverse("documents:file-in-error", kwargs={"pk": document.pk})
    warning = page(coordinator_client.get(url)).find(id="takes-back").all_text()
    assert "Cancel the panel booking first" in warning
    assert "booked for panel on 5 March 2030" in warning

    response = coordinator_client.post(url, {"why": "It is Emma's report"})

    assert summary_text(response) == (
        "Ella Testcase is booked for panel on 5 March 2030: cancel the booking first, then "
        "take back the school report."
    )
    assert not Document.objects.for_service(child.service).in_error().exists()
    assert child.requirements.get(kind="school_report").state == RequirementState.RECEIVED


def test_clinicians_read_documents_but_do_not_file_them(
    clinician_client: Client, ella: Referral, upload_dir: Path
) -> None:
    document = stored_document(ella)
    record = clinician_client.get(record_url(ella))
    hrefs = [a.attrs.get("href") for a in page(record).find_all("a")]
    assert reverse("documents:download", kwargs={"pk": document.pk}) in hrefs
    assert not any(h and "/documents/new/" in h for h in hrefs)
    assert reverse("documents:file-in-error", kwargs={"pk": document.pk}) not in hrefs
    assert clinician_client.get(upload_url(ella)).status_code == 403


def test_a_child_with_no_documents_says_so_and_offers_an_upload(
    secretary_client: Client, ella: Referral
) -> None:
    record = secretary_client.get(record_url(ella))
    text = text_of(record)
    assert "No documents have been filed for Ella yet." in text
    assert upload_url(ella) in [a.attrs.get("href") for a in page(record).find_all("a")]


def test_a_file_name_with_markup_is_shown_as_text(
    coordinator_client: Client, ella: Referral, upload_dir: Path
) -> None:
    name = '<img src=x onerror="alert(1)">.pdf'
    response = post_document(coordinator_client, ella, name)
    assert response.status_code == 302, summary_text(response)
    document = Document.objects.for_service(ella.service).get()
    for url in (
        response["Location"],
        reverse("documents:file-in-error", kwargs={"pk": document.pk}),
    ):
        html = coordinator_client.get(url).content.decode()
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=" in html
