"""Filing a document to a child: typed, checked, recorded with the report it is, or refused
leaving nothing behind."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clearway.accounts.models import User
from clearway.core.actors import MissingActorError
from clearway.core.append_only import AppendOnlyError
from clearway.documents import services
from clearway.documents.models import Document
from clearway.pathways import services as pathway
from clearway.pathways.models import (
    Event,
    EventKind,
    Referral,
    RequirementState,
    Status,
)
from tests.documents import files
from tests.documents.conftest import files_in
from tests.documents.test_uploads import ACCEPTED

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def file(
    actor: User,
    referral: Referral,
    requirement: str = "school_report",
    content: bytes | None = None,
    name: str = "School report.pdf",
    received_on: dt.date | None = None,
    note: str = "",
) -> Document:
    return services.file_document(
        actor,
        referral,
        chunks=[files.pdf(name) if content is None else content],
        original_name=name,
        requirement=requirement,
        received_on=received_on or TODAY(),
        note=note,
    )


def nothing_filed(upload_dir: Path) -> None:
    assert Document.objects.unscoped().count() == 0
    assert files_in(upload_dir) == []


@pytest.mark.parametrize(
    ("name", "content", "content_type"), ACCEPTED, ids=[a[0] for a in ACCEPTED]
)
def test_each_kind_of_document_is_filed_with_its_checked_type(
    coordinator: User,
    ella: Referral,
    upload_dir: Path,
    name: str,
    content: bytes,
    content_type: str,
) -> None:
    document = file(coordinator, ella, "", content, name=f"../../{name}")
    assert document.content_type == content_type
    assert document.original_name == name  # no folders: shown, never used as a path
    assert document.path.read_bytes() == content
    assert files_in(upload_dir) == [document.path]
    assert document.kind_label == "Other document" and document.requirement == ""
    assert document.uploaded_by == coordinator
    assert document.uploaded_by_name == str(coordinator)


def test_a_report_filed_is_recorded_as_received(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    day = TODAY() - dt.timedelta(days=2)
    document = file(coordinator, ella, "school_report", received_on=day, note="From the school")
    requirement = ella.requirements.get(kind="school_report")
    assert requirement.state == RequirementState.RECEIVED
    assert requirement.received_on == day
    assert document.event is not None
    assert document.event.kind == EventKind.REQUIREMENT_RECEIVED
    assert document.event.effective == day
    assert document.kind_label == "School report"
    assert document.received_on == day
    assert document.note == "From the school"
    assert not services.made_ready(document)
    ella.refresh_from_db()
    assert ella.status == Status.AWAITING_INFORMATION


def test_the_last_report_filed_makes_the_child_ready_for_panel(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    file(coordinator, ella, "school_report", name="school.pdf")
    file(coordinator, ella, "consent", files.odt(), name="consent.odt")
    last = file(coordinator, ella, "salt_report", files.docx(), name="salt.docx")
    assert services.made_ready(last)
    ella.refresh_from_db()
    assert ella.status == Status.READY_FOR_PANEL
    assert ella.ready_on == TODAY()
    assert last.event is not None
    event = Event.objects.get(referral=ella, kind=EventKind.REQUIREMENT_RECEIVED, pk=last.event.pk)
    assert event.details == {"requirement": "salt_report", "ready_for_panel": True}
    assert event.status_before == Status.AWAITING_INFORMATION
    assert event.status_after == Status.READY_FOR_PANEL
    assert event.actor == coordinator


def test_a_second_copy_of_a_report_received_is_filed_without_recording_it_again(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    first_day = TODAY() - dt.timedelta(days=5)
    file(coordinator, ella, "school_report", name="first.pdf", received_on=first_day)
    events = Event.objects.filter(referral=ella).count()
    second = file(coordinator, ella, "school_report", name="updated.pdf")
    assert second.event is None
    assert Event.objects.filter(referral=ella).count() == events
    assert ella.requirements.get(kind="school_report").received_on == first_day
    assert Document.objects.for_service(ella.service).current().count() == 2


def test_a_report_recorded_as_received_by_hand_is_not_recorded_again(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    pathway.record_requirement_received(coordinator, ella, "consent", TODAY())
    document = file(coordinator, ella, "consent", files.image("PNG"), name="consent.png")
    assert document.event is None
    assert Event.objects.filter(referral=ella, kind=EventKind.REQUIREMENT_RECEIVED).count() == 1


def test_a_requirement_the_pathway_does_not_have_is_refused(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    with pytest.raises(services.DocumentError) as refused:
        file(coordinator, ella, "hearing_test")
    assert "has no report called 'hearing_test'" in str(refused.value)
    assert refused.value.field == "requirement"
    nothing_filed(upload_dir)


def test_a_discharged_child_s_referral_takes_no_documents(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    pathway.discharge(coordinator, ella, "moved_away", TODAY())
    for requirement in ("school_report", ""):
        with pytest.raises(services.DocumentError) as refused:
            file(coordinator, ella, requirement)
        assert str(refused.value).startswith("Ella Testcase was discharged on ")
        assert "no document can be filed" in str(refused.value)
    nothing_filed(upload_dir)


def test_a_discharge_since_the_page_was_opened_is_noticed(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    stale = Referral.objects.unscoped().get(pk=ella.pk)
    pathway.discharge(coordinator, ella, "moved_away", TODAY())
    with pytest.raises(services.DocumentError, match="was discharged"):
        file(coordinator, stale)
    nothing_filed(upload_dir)
    assert ella.requirements.get(kind="school_report").state == RequirementState.OUTSTANDING


def test_a_date_in_the_future_or_before_the_referral_is_refused(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    for day, message in (
        (TODAY() + dt.timedelta(days=1), "must be today or in the past"),
        (ella.received_on - dt.timedelta(days=1), "must be on or after the referral"),
    ):
        with pytest.raises(services.DocumentError, match=message) as refused:
            file(coordinator, ella, received_on=day)
        assert refused.value.field == "received_on"
    nothing_filed(upload_dir)


def test_a_refused_file_leaves_nothing_behind(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    with pytest.raises(services.DocumentError) as refused:
        file(coordinator, ella, content=files.HTML_PAGE, name="report.pdf")
    assert str(refused.value) == "report.pdf: is a web page, not a PDF"
    assert refused.value.field == "file"
    nothing_filed(upload_dir)
    assert ella.requirements.get(kind="school_report").state == RequirementState.OUTSTANDING


def test_when_the_pathway_refuses_the_stored_file_is_removed(
    coordinator: User, make_referral: Callable[..., Referral], upload_dir: Path
) -> None:
    # Given a child assessed at panel without the school report (the service chose to go on
    # without it), when the school report is filed, the pathway refuses to record it, after
    # the file was written: the file goes, and nothing is recorded.
    child = make_referral(requirements={"salt_report": "received", "consent": "received"})
    pathway.record_requirement_not_needed(coordinator, child, "school_report", TODAY(), "Home")
    pathway.book_for_panel(coordinator, child, TODAY())
    pathway.record_assessed(coordinator, child, TODAY())
    with pytest.raises(services.DocumentError, match="was assessed on"):
        file(coordinator, child, "school_report")
    nothing_filed(upload_dir)
    # Another document (a letter after panel) may still be filed to the assessed child.
    assert file(coordinator, child, "", name="letter.pdf").kind_label == "Other document"


def test_the_same_file_twice_is_refused_for_the_child_and_for_another_child(
    coordinator: User, ella: Referral, make_referral: Callable[..., Referral], upload_dir: Path
) -> None:
    report = files.pdf("Emma's school report")
    first = file(coordinator, ella, content=report, name="report.pdf")
    with pytest.raises(services.DocumentError) as refused:
        file(coordinator, ella, "", report, name="report (1).pdf")
    assert str(refused.value).startswith(
        "report (1).pdf: this file is already filed for Ella Testcase, as the school report "
    )
    other = make_referral(given_name="Emma")
    with pytest.raises(services.DocumentError) as refused:
        file(coordinator, other, content=report, name="report.pdf")
    assert "already filed for another child, Ella Testcase" in str(refused.value)
    assert "mark that copy as filed in error first" in str(refused.value)
    assert files_in(upload_dir) == [first.path]
    assert other.requirements.get(kind="school_report").state == RequirementState.OUTSTANDING
    # Once the first copy is marked as filed in error, the file can go to the right child.
    services.file_in_error(coordinator, first, "Emma's report, filed to Ella")
    assert file(coordinator, other, content=report, name="report.pdf").patient == other.patient


def test_filed_in_error_is_kept_and_no_longer_counts(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    document = file(coordinator, ella)
    with pytest.raises(services.DocumentError, match="Say why"):
        services.file_in_error(coordinator, document, "  ")
    mark = services.file_in_error(coordinator, document, " The SaLT report, not the school's ")
    assert mark.why == "The SaLT report, not the school's"
    assert mark.actor == coordinator
    documents = Document.objects.for_service(ella.service)
    assert list(documents.current()) == []
    assert list(documents.in_error()) == [document]
    assert document.path.is_file()  # kept
    with pytest.raises(services.DocumentError, match="already marked as filed in error"):
        services.file_in_error(coordinator, document, "Again")
    # The report it recorded is taken back: it goes back to asked for.
    assert ella.requirements.get(kind="school_report").state == RequirementState.OUTSTANDING


def test_filing_in_error_takes_back_the_report_it_recorded_and_readiness_for_panel(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    file(coordinator, ella, "consent", files.odt(), name="consent.odt")
    file(coordinator, ella, "salt_report", files.docx(), name="salt.docx")
    pathway.record_requirement_requested(coordinator, ella, "school_report", ella.received_on)
    wrong = file(coordinator, ella, "school_report", name="Emma school.pdf")
    assert services.made_ready(wrong)
    assert services.in_error_effect(wrong).takes_back

    services.file_in_error(coordinator, wrong, "It is Emma's report")

    ella.refresh_from_db()
    assert (ella.status, ella.ready_on) == (Status.AWAITING_INFORMATION, None)
    requirement = ella.requirements.get(kind="school_report")
    assert (requirement.state, requirement.received_on) == (RequirementState.REQUESTED, None)
    correction = Event.objects.get(referral=ella, kind=EventKind.REVERSED)
    assert correction.reverses == wrong.event
    assert correction.actor == coordinator
    assert correction.details["why"] == "Emma school.pdf was filed in error: It is Emma's report"


def test_another_copy_keeps_the_report_received_until_it_is_filed_in_error_too(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    first = file(coordinator, ella, name="first.pdf")
    second = file(coordinator, ella, name="second.pdf")
    effect = services.in_error_effect(first)
    assert (effect.takes_back, effect.other_copy) == (False, second)

    services.file_in_error(coordinator, first, "Blank pages")

    requirement = ella.requirements.get(kind="school_report")
    assert requirement.state == RequirementState.RECEIVED
    assert not Event.objects.filter(referral=ella, kind=EventKind.REVERSED).exists()
    # The copy left recorded nothing itself, but it is the last: the report goes back.
    assert services.in_error_effect(second).takes_back
    services.file_in_error(coordinator, second, "Another child's")
    assert ella.requirements.get(kind="school_report").state == RequirementState.OUTSTANDING
    correction = Event.objects.get(referral=ella, kind=EventKind.REVERSED)
    assert correction.reverses == first.event


def test_a_report_recorded_as_received_by_hand_stays_received(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    # A paper copy was recorded by hand; the scan filed later is the wrong file.
    pathway.record_requirement_received(coordinator, ella, "consent", TODAY())
    scan = file(coordinator, ella, "consent", files.image("PNG"), name="consent.png")
    assert not services.in_error_effect(scan).takes_back
    services.file_in_error(coordinator, scan, "Wrong page scanned")
    assert ella.requirements.get(kind="consent").state == RequirementState.RECEIVED


def test_a_booked_child_s_report_is_not_filed_in_error_until_the_booking_is_cancelled(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    file(coordinator, ella, "consent", files.odt(), name="consent.odt")
    file(coordinator, ella, "salt_report", files.docx(), name="salt.docx")
    wrong = file(coordinator, ella, "school_report", name="Emma school.pdf")
    pathway.book_for_panel(coordinator, ella, dt.date(2030, 3, 5))
    events = Event.objects.filter(referral=ella).count()

    with pytest.raises(services.DocumentError) as refused:
        services.file_in_error(coordinator, wrong, "It is Emma's report")

    assert str(refused.value) == (
        "Ella Testcase is booked for panel on 5 March 2030: cancel the booking first, then "
        "take back the school report."
    )
    assert list(Document.objects.for_service(ella.service).in_error()) == []
    assert Event.objects.filter(referral=ella).count() == events
    ella.refresh_from_db()
    assert ella.status == Status.BOOKED
    assert ella.requirements.get(kind="school_report").state == RequirementState.RECEIVED


def test_a_discharged_child_s_document_is_filed_in_error_leaving_the_pathway_alone(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    wrong = file(coordinator, ella, name="Emma school.pdf")
    pathway.discharge(coordinator, ella, "moved_away", TODAY())
    assert services.in_error_effect(wrong).closed
    services.file_in_error(coordinator, wrong, "It is Emma's report")
    assert list(Document.objects.for_service(ella.service).in_error()) == [wrong]
    assert ella.requirements.get(kind="school_report").state == RequirementState.RECEIVED


def test_documents_are_never_changed_or_deleted(
    coordinator: User, ella: Referral, upload_dir: Path
) -> None:
    document = file(coordinator, ella)
    mark = services.file_in_error(coordinator, document, "Wrong child")
    for record in (document, mark):
        with pytest.raises(AppendOnlyError):
            record.save()
        with pytest.raises(AppendOnlyError):
            record.delete()
    with pytest.raises(AppendOnlyError):
        Document.objects.for_service(ella.service).update(note="changed")
    with pytest.raises(AppendOnlyError):
        Document.objects.for_service(ella.service).delete()
    for table, pk in (("documents_document", document.pk), ("documents_filedinerror", mark.pk)):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [pk])  # noqa: S608


def test_a_document_without_an_actor_is_refused(ella: Referral, upload_dir: Path) -> None:
    with pytest.raises(MissingActorError):
        file(None, ella)  # type: ignore[arg-type]
    nothing_filed(upload_dir)
