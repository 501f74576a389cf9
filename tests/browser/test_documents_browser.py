"""Filing a report to a child in a real browser, each page checked with axe.

Given a coordinator and Ella, whose SaLT report and consent form are in, when they upload her
school report from her record (after first choosing a web page saved as .pdf, which is
refused), then the report is on her record, and she is ready for panel.
"""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.documents.models import Document
from clearway.pathways.models import Referral, Status
from tests.documents import files

pytestmark = pytest.mark.django_db(transaction=True)

Axe = Callable[[Page], None]
Screenshot = Callable[[Page, str], Path]


def upload(page: Page, name: str, content: bytes, mime: str = "application/pdf") -> None:
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": mime, "buffer": content}
    )


def test_upload_a_school_report_and_see_the_child_ready_for_panel(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
    settings: Any,
    tmp_path: Path,
    axe: Axe,
    screenshot: Screenshot,
) -> None:
    settings.CLEARWAY_UPLOAD_DIR = tmp_path / "uploads"
    ella = make_referral(
        given_name="Ella",
        family_name="Brightwater",
        requirements={"salt_report": "received", "consent": "received"},
    )
    page = signed_in_page(make_user(Role.COORDINATOR, first_name="Sam", last_name="Rivers"))

    # Given Ella's record, waiting only for her school report
    page.goto(f"/referrals/{ella.pk}/")
    expect(page.locator("#documents")).to_have_text("Documents")
    expect(page.get_by_text("No documents have been filed for Ella yet.")).to_be_visible()

    # When the coordinator chooses to upload the school report
    page.get_by_role("link", name=re.compile(r"^Upload the report\s*: School report$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a report")
    expect(page.locator("#child")).to_contain_text("Ella Brightwater")
    expect(page.get_by_label("School report")).to_be_checked()
    axe(page)
    screenshot(page, "documents-upload")

    # And first picks a web page saved as a PDF, they are told plainly, and nothing is filed
    upload(page, "School report.pdf", files.HTML_PAGE)
    page.get_by_role("button", name="Upload and file").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "School report.pdf: is a web page, not a PDF"
    )
    assert Document.objects.unscoped().count() == 0
    axe(page)
    screenshot(page, "documents-upload-refused")

    # When they upload the real report
    upload(page, "Ella school report.pdf", files.pdf("School report for Ella Brightwater"))
    page.get_by_label("Note (optional)").fill("Sent by the class teacher")
    page.get_by_role("button", name="Upload and file").click()

    # Then it is on her record, and she is ready for panel
    banner = page.locator(".nhsuk-notification-banner--success")
    expect(banner).to_contain_text("Ella school report.pdf is filed for Ella Brightwater")
    expect(banner).to_contain_text("Ella Brightwater is now ready for panel.")
    row = page.locator("#documents-current tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("School report")
    expect(row).to_contain_text("Ella school report.pdf")
    expect(row).to_contain_text("Sam Rivers")
    axe(page)
    screenshot(page, "documents-on-the-record")
    ella.refresh_from_db()
    assert ella.status == Status.READY_FOR_PANEL
    document = Document.objects.unscoped().get()
    assert document.path.read_bytes().startswith(b"%PDF-")

    # And the link gives the file back as a download
    with page.expect_download() as download:
        row.get_by_role("link", name="Ella school report.pdf", exact=True).click()
    assert download.value.suggested_filename == "Ella school report.pdf"

    # And the page to mark it as filed in error warns that the report would be taken back
    row.get_by_role("link", name=re.compile("^Filed in error")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark as filed in error")
    expect(page.locator("#takes-back")).to_contain_text("The school report goes back to asked for")
    expect(page.locator("#takes-back")).to_contain_text("Ella is no longer ready for panel.")
    axe(page)
    screenshot(page, "documents-filed-in-error")
