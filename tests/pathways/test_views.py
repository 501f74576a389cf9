"""The pathway pages, as a member of staff uses them: the list, a child, and each step."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clearway.pathways import services
from clearway.pathways.models import (
    Consultant,
    Event,
    EventKind,
    Patient,
    Referral,
    RequirementState,
    School,
    Status,
)
from tests.conftest import TEST_ACTOR
from tests.core.test_components import Element, parse

pytestmark = pytest.mark.django_db

LIST = reverse("pathways:list")
ADD = reverse("pathways:add-referral")
VALID_NHS_NUMBER = "9991717811"
FAILING_NHS_NUMBER = "9991717812"
RECEIVED = RequirementState.RECEIVED

MakeReferral = Callable[..., Referral]


def today() -> dt.date:
    return timezone.localdate()


def uk(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def page(response: Any) -> Element:
    assert response.status_code == 200, response.status_code
    return parse(response.content.decode())


def title(response: Any) -> str:
    return page(response).find_all("title")[0].all_text()


def text_of(response: Any) -> str:
    return page(response).all_text()


def list_rows(response: Any) -> list[list[str]]:
    """The waiting list's rows, each as its cells' text."""
    tree = page(response)
    tables = tree.find_all("table", id="waiting-list")
    if not tables:
        return []
    return [
        [cell.all_text() for cell in row.find_all("td")]
        for row in tables[0].find("tbody").find_all("tr")
    ]


def names(response: Any) -> list[str]:
    return [row[0] for row in list_rows(response)]


def error_summary(response: Any) -> list[tuple[str, str]]:
    """Each (message, link) in the page's error summary."""
    tree = page(response)
    summaries = tree.find_all(cls="nhsuk-error-summary")
    if not summaries:
        return []
    (summary,) = summaries
    assert summary.find("h2").all_text() == "There is a problem"
    return [(a.all_text(), a.attrs["href"]) for a in summary.find_all("a")]


def inline_errors(response: Any) -> dict[str, str]:
    """The inline error messages by the id of their field's error element."""
    return {
        e.attrs["id"]: e.all_text().removeprefix("Error: ")
        for e in page(response).find_all(cls="nhsuk-error-message")
    }


def banner(response: Any) -> str:
    (found,) = page(response).find_all(cls="nhsuk-notification-banner--success")
    return found.find(cls="nhsuk-notification-banner__content").all_text()


def date_fields(prefix: str, day: dt.date) -> dict[str, str]:
    return {
        f"{prefix}_day": str(day.day),
        f"{prefix}_month": str(day.month),
        f"{prefix}_year": str(day.year),
    }


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.fixture
def ash() -> Consultant:
    return Consultant.objects.create(name="Dr Ash")


@pytest.fixture
def birch() -> Consultant:
    return Consultant.objects.create(name="Dr Birch")


# The waiting list -----------------------------------------------------------------------


def test_the_list_shows_each_waiting_child_longest_wait_first(
    coordinator_client: Client, make_referral: MakeReferral, ash: Consultant
) -> None:
    make_referral(
        given_name="Nia",
        family_name="Brown",
        birth_date=dt.date(2017, 9, 30),
        received_on=dt.date(2023, 5, 1),
        consultant=ash,
        nhs_number=VALID_NHS_NUMBER,
        requirements={"school_report": RECEIVED, "salt_report": RequirementState.REQUESTED},
    )
    make_referral(
        given_name="Ollie",
        family_name="Adams",
        birth_date=dt.date(2015, 6, 10),
        received_on=dt.date(2021, 3, 1),
        nhs_number=None,
    )

    response = coordinator_client.get(LIST)

    assert "2 children waiting for" in text_of(response)
    brown_days = (today() - dt.date(2023, 5, 1)).days
    adams_days = (today() - dt.date(2021, 3, 1)).days
    assert list_rows(response) == [
        [
            "ADAMS, Ollie",
            "Not known",
            str(age_on(dt.date(2015, 6, 10), today())),
            "1 Mar 2021",
            f"{adams_days:,}",
            "Not allocated",
            "School: Not requested SaLT: Not requested Consent: Not requested",
            "Awaiting information",
        ],
        [
            "BROWN, Nia",
            "999 171 7811",
            str(age_on(dt.date(2017, 9, 30), today())),
            "1 May 2023",
            f"{brown_days:,}",
            "Dr Ash",
            "School: Received SaLT: Requested Consent: Not requested",
            "Awaiting information",
        ],
    ]


def test_each_name_on_the_list_opens_that_child(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral(given_name="Nia", family_name="Brown")
    (link,) = page(coordinator_client.get(LIST)).find("table").find_all("a")
    assert link.attrs["href"] == reverse("pathways:referral", kwargs={"pk": referral.pk})
    assert link.all_text() == "BROWN, Nia"


def test_a_child_who_is_ready_shows_as_ready_for_panel(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    make_referral(
        requirements={"school_report": RECEIVED, "salt_report": RECEIVED, "consent": RECEIVED}
    )
    (row,) = list_rows(coordinator_client.get(LIST))
    assert row[-1] == "Ready for panel"


def test_discharged_children_are_off_the_list_unless_asked_for(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    make_referral(family_name="Waiting", received_on=dt.date(2021, 1, 1))
    gone = make_referral(family_name="Gone", received_on=dt.date(2020, 1, 1))
    services.discharge(TEST_ACTOR, gone, "moved_away", dt.date(2022, 2, 2))

    assert names(coordinator_client.get(LIST)) == ["WAITING, Child1"]
    assert names(coordinator_client.get(LIST, {"status": "all"})) == [
        "GONE, Child2",
        "WAITING, Child1",
    ]
    discharged = coordinator_client.get(LIST, {"status": "discharged"})
    assert names(discharged) == ["GONE, Child2"]
    assert list_rows(discharged)[0][-1] == "Discharged"
    assert "1 child matches your search" in text_of(discharged)


@pytest.fixture
def three_children(make_referral: MakeReferral, ash: Consultant, birch: Consultant) -> None:
    make_referral(
        given_name="Amara",
        family_name="O'Neill",
        received_on=dt.date(2021, 1, 4),
        consultant=ash,
        nhs_number=VALID_NHS_NUMBER,
        hospital_number="H100200",
    )
    make_referral(
        given_name="Ben",
        family_name="Oneill-Smith",
        received_on=dt.date(2022, 6, 1),
        consultant=birch,
        requirements={"school_report": RECEIVED},
    )
    make_referral(
        given_name="Cara",
        family_name="Zed",
        received_on=today() - dt.timedelta(days=20),
        consultant=ash,
    )


@pytest.mark.usefixtures("three_children")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "ONEILL"}, ["ONEILL-SMITH, Ben"]),
        ({"q": "oneill"}, ["ONEILL-SMITH, Ben"]),
        ({"q": "zed"}, ["ZED, Cara"]),
        ({"q": "cara zed"}, ["ZED, Cara"]),
        ({"q": "999 171 7811"}, ["O'NEILL, Amara"]),
        ({"q": " 9991717811 "}, ["O'NEILL, Amara"]),
        ({"q": "h100200"}, ["O'NEILL, Amara"]),
        ({"q": "H100200"}, ["O'NEILL, Amara"]),
    ],
)
def test_search_by_name_nhs_number_or_hospital_number(
    coordinator_client: Client, query: dict[str, str], expected: list[str]
) -> None:
    response = coordinator_client.get(LIST, query)
    assert names(response) == expected
    (search_box,) = page(response).find_all("input", name="q")
    assert search_box.attrs["value"] == query["q"], "the search box keeps what was typed"


@pytest.mark.usefixtures("three_children")
def test_filter_by_consultant(
    coordinator_client: Client, ash: Consultant, birch: Consultant
) -> None:
    assert names(coordinator_client.get(LIST, {"consultant": ash.pk})) == [
        "O'NEILL, Amara",
        "ZED, Cara",
    ]
    assert names(coordinator_client.get(LIST, {"consultant": birch.pk})) == ["ONEILL-SMITH, Ben"]


@pytest.mark.usefixtures("three_children")
@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("under-18", ["ZED, Cara"]),
        ("over-52", ["O'NEILL, Amara", "ONEILL-SMITH, Ben"]),
        ("", ["O'NEILL, Amara", "ONEILL-SMITH, Ben", "ZED, Cara"]),
    ],
)
def test_filter_by_wait_band(coordinator_client: Client, band: str, expected: list[str]) -> None:
    assert names(coordinator_client.get(LIST, {"wait": band})) == expected


def test_wait_bands_split_at_18_and_52_weeks(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    make_referral(family_name="Eighteen", received_on=today() - dt.timedelta(weeks=18))
    make_referral(family_name="Longer", received_on=today() - dt.timedelta(weeks=18, days=1))
    make_referral(family_name="Year", received_on=today() - dt.timedelta(weeks=52, days=1))
    assert names(coordinator_client.get(LIST, {"wait": "under-18"})) == ["EIGHTEEN, Child1"]
    assert names(coordinator_client.get(LIST, {"wait": "18-52"})) == ["LONGER, Child2"]
    assert names(coordinator_client.get(LIST, {"wait": "over-52"})) == ["YEAR, Child3"]


@pytest.mark.usefixtures("three_children")
def test_filter_by_outstanding_requirement(coordinator_client: Client) -> None:
    assert names(coordinator_client.get(LIST, {"outstanding": "school_report"})) == [
        "O'NEILL, Amara",
        "ZED, Cara",
    ]
    assert len(names(coordinator_client.get(LIST, {"outstanding": "consent"}))) == 3


@pytest.mark.usefixtures("three_children")
def test_sort_by_name_and_by_shortest_wait(coordinator_client: Client) -> None:
    assert names(coordinator_client.get(LIST, {"sort": "name"})) == [
        "O'NEILL, Amara",
        "ONEILL-SMITH, Ben",
        "ZED, Cara",
    ]
    assert names(coordinator_client.get(LIST, {"sort": "shortest"})) == [
        "ZED, Cara",
        "ONEILL-SMITH, Ben",
        "O'NEILL, Amara",
    ]


def test_the_list_pages_through_the_children_keeping_the_search(
    coordinator_client: Client, make_referral: MakeReferral, settings: Any
) -> None:
    settings.CLEARWAY_LIST_PAGE_SIZE = 2
    for year in range(2016, 2021):
        make_referral(family_name=f"Year{year}", received_on=dt.date(year, 1, 1))
    make_referral(
        family_name="Other", birth_date=dt.date(2014, 1, 1), received_on=dt.date(2015, 1, 1)
    )

    first = coordinator_client.get(LIST, {"q": "year"})
    assert names(first) == ["YEAR2016, Child1", "YEAR2017, Child2"]
    assert "5 children match your search" in text_of(first)
    assert "Page 1 of 3" in text_of(first)
    (next_link,) = page(first).find_all("a", cls="nhsuk-pagination__link--next")
    assert next_link.attrs["href"] == "?q=year&page=2"

    second = coordinator_client.get(LIST, {"q": "year", "page": "2"})
    assert names(second) == ["YEAR2018, Child3", "YEAR2019, Child4"]
    assert title(second).startswith("Waiting list (page 2 of 3)")
    last = coordinator_client.get(LIST, {"q": "year", "page": "3"})
    assert names(last) == ["YEAR2020, Child5"]
    assert not page(last).find_all("a", cls="nhsuk-pagination__link--next")
    assert names(coordinator_client.get(LIST, {"q": "year", "page": "99"})) == names(last)


def test_an_empty_list_says_nobody_is_waiting(coordinator_client: Client) -> None:
    response = coordinator_client.get(LIST)
    assert list_rows(response) == []
    assert "No children are on the list" in text_of(response)
    main = page(response).find("main")
    assert main.find("a", href=ADD).all_text() == "add a referral"


def test_a_search_that_matches_nobody_says_so(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    make_referral(family_name="Brown")
    response = coordinator_client.get(LIST, {"q": "Nobody"})
    assert list_rows(response) == []
    assert "0 children match your search" in text_of(response)
    assert "No children match. Check the spelling, or try fewer filters." in text_of(response)
    main = page(response).find("main")
    assert main.find("a", href=LIST).all_text() == "Clear search and filters"


# A child's page -------------------------------------------------------------------------


def test_a_childs_page_shows_who_they_are_their_carers_school_and_gp(
    clinician_client: Client, make_referral: MakeReferral, ash: Consultant
) -> None:
    school = School.objects.create(name="Hillside Primary School")
    referral = make_referral(
        given_name="Nia",
        family_name="Brown",
        birth_date=dt.date(2016, 4, 5),
        nhs_number=VALID_NHS_NUMBER,
        hospital_number="H555123",
        school=school,
        gp_practice="Riverside Surgery",
        consultant=ash,
        received_on=dt.date(2022, 3, 14),
        carers=[
            {
                "name": "Jo Brown",
                "relationship": "mother",
                "parental_responsibility": True,
                "phone": "07700 900123",
                "main_contact": True,
            },
            {
                "name": "Sam Green",
                "relationship": "grandparent",
                "parental_responsibility": False,
                "email": "sam@example.com",
            },
        ],
    )

    response = clinician_client.get(reverse("pathways:referral", kwargs={"pk": referral.pk}))

    tree = page(response)
    assert title(response) == "Nia Brown – Clearway"
    assert tree.find("h1").all_text() == "Nia Brown Awaiting information"
    text = tree.all_text()
    for expected in [
        "NHS number 999 171 7811",
        "Hospital number H555123",
        f"Date of birth 5 April 2016 ({age_on(dt.date(2016, 4, 5), today())} years old)",
        "School Hillside Primary School",
        "GP practice Riverside Surgery",
        "Referral received 14 March 2022",
        f"Days waiting {(today() - dt.date(2022, 3, 14)).days:,}",
        "Consultant Dr Ash",
        "Jo Brown Mother, main contact Has parental responsibility Phone: 07700 900123",
        "Sam Green Grandparent No parental responsibility Email: sam@example.com",
    ]:
        assert expected in text


def test_a_childs_page_lists_what_is_needed_before_panel(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral(
        received_on=dt.date(2022, 3, 14), requirements={"school_report": RECEIVED}
    )

    tree = page(coordinator_client.get(reverse("pathways:referral", kwargs={"pk": referral.pk})))

    (checklist,) = [
        table
        for table in tree.find_all("table")
        if table.find("caption").all_text() == "Reports and forms needed before panel"
    ]
    rows = [[cell.all_text() for cell in row.find_all("td")] for row in checklist.find_all("tr")]
    assert rows[1:] == [
        [
            "School report",
            "Received 14 March 2022",
            "Recorded by mistake? Take it back : School report",
        ],
        [
            "SaLT report",
            "Not requested",
            "Record as received : SaLT report Upload the report : SaLT report",
        ],
        [
            "Opt-in and consent form",
            "Not requested",
            "Record as received : Opt-in and consent form "
            "Upload the report : Opt-in and consent form",
        ],
    ]


def test_a_childs_timeline_shows_each_event_with_when_it_happened_when_recorded_and_by_whom(
    coordinator_client: Client, make_referral: MakeReferral, coordinator: Any
) -> None:
    referral = make_referral(actor=coordinator, received_on=dt.date(2022, 3, 14))
    services.record_requirement_received(TEST_ACTOR, referral, "school_report", dt.date(2022, 5, 2))

    tree = page(coordinator_client.get(reverse("pathways:referral", kwargs={"pk": referral.pk})))

    entries = [item.all_text() for item in tree.find("ol", cls="app-timeline").find_all("li")]
    recorded = uk(today())
    assert len(entries) == 2
    assert entries[0].startswith("School report received Took effect 2 May 2022")
    assert f"Recorded {recorded} at " in entries[0]
    assert entries[0].endswith("by Clearway tests (system) (recorded later than it happened)")
    assert entries[1].startswith("Referral received Took effect 14 March 2022")
    assert entries[1].endswith("by Sam Coordinator (recorded later than it happened)")


def test_a_child_who_does_not_exist_is_page_not_found(coordinator_client: Client) -> None:
    response = coordinator_client.get(reverse("pathways:referral", kwargs={"pk": 999999}))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


# Adding a referral ----------------------------------------------------------------------


def valid_referral(**changes: str) -> dict[str, str]:
    data = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        **date_fields("birth_date", dt.date(2017, 3, 15)),
        "nhs_number": "999 171 7811",
        "hospital_number": "H998877",
        **date_fields("received_on", dt.date(2023, 9, 1)),
        "source": "gp",
        "priority": "routine",
        "carer_name": "Grace Lovelace",
        "carer_relationship": "mother",
        "carer_parental_responsibility": "on",
        "carer_phone": "07700 900456",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def assert_refused(client: Client, data: dict[str, str], errors: dict[str, str]) -> None:
    """The form comes back with these errors (field id → message) and nothing is saved."""
    patients, referrals, events = (
        Patient.objects.unscoped().count(),
        Referral.objects.unscoped().count(),
        Event.objects.count(),
    )

    response = client.post(ADD, data)

    assert response.status_code == 200
    assert title(response) == "Error: Add a referral – Clearway"
    summary = error_summary(response)
    for field_id, message in errors.items():
        assert (message, f"#{field_id}") in summary
        base = field_id.removesuffix("-day")
        assert inline_errors(response)[f"{base}-error"] == message
    assert len(summary) == len(errors), summary
    assert (
        Patient.objects.unscoped().count(),
        Referral.objects.unscoped().count(),
        Event.objects.count(),
    ) == (
        patients,
        referrals,
        events,
    )


def test_the_add_referral_form_asks_for_the_child_the_referral_and_a_carer(
    secretary_client: Client,
) -> None:
    response = secretary_client.get(ADD)
    tree = page(response)
    assert title(response) == "Add a referral – Clearway"
    assert not tree.find_all(cls="nhsuk-error-summary")
    for name in [
        "given_name",
        "family_name",
        "birth_date_day",
        "nhs_number",
        "received_on_year",
        "source",
        "carer_name",
        "carer_parental_responsibility",
    ]:
        assert tree.find_all(name=name), name


def test_an_nhs_number_that_fails_its_check_is_named_in_the_error(
    coordinator_client: Client,
) -> None:
    assert_refused(
        coordinator_client,
        valid_referral(nhs_number=FAILING_NHS_NUMBER),
        {
            "id_nhs_number": "999 171 7812 is not a valid NHS number: its last digit does not "
            "match. Check the number on the referral letter"
        },
    )


def test_an_nhs_number_that_is_not_ten_digits_is_refused(coordinator_client: Client) -> None:
    assert_refused(
        coordinator_client,
        valid_referral(nhs_number="999 171 781"),
        {"id_nhs_number": "NHS number must be 10 digits, like 999 123 4560"},
    )


def test_a_birth_date_in_the_future_is_refused(coordinator_client: Client) -> None:
    born = today() + dt.timedelta(days=30)
    assert_refused(
        coordinator_client,
        valid_referral(**date_fields("birth_date", born), **date_fields("received_on", today())),
        {
            "id_birth_date-day": "Date of birth must be today or in the past",
            "id_received_on-day": "Date referral received must be on or after the date of birth",
        },
    )


def test_a_referral_received_before_the_child_was_born_is_refused(
    coordinator_client: Client,
) -> None:
    assert_refused(
        coordinator_client,
        valid_referral(**date_fields("received_on", dt.date(2017, 3, 14))),
        {"id_received_on-day": "Date referral received must be on or after the date of birth"},
    )


def test_a_referral_received_in_the_future_is_refused(coordinator_client: Client) -> None:
    assert_refused(
        coordinator_client,
        valid_referral(**date_fields("received_on", today() + dt.timedelta(days=1))),
        {"id_received_on-day": "Date referral received must be today or in the past"},
    )


def test_a_child_already_on_the_list_is_named_and_not_added_twice(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    make_referral(
        given_name="Ada",
        family_name="Byron",
        nhs_number=VALID_NHS_NUMBER,
        received_on=dt.date(2021, 6, 7),
        birth_date=dt.date(2017, 3, 15),
    )
    assert_refused(
        coordinator_client,
        valid_referral(),
        {
            "id_nhs_number": "Ada Byron (NHS number 999 171 7811) is already on the list, "
            "referred 7 June 2021"
        },
    )


def test_a_child_already_on_the_list_is_found_by_hospital_number_too(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    make_referral(
        given_name="Ada",
        family_name="Byron",
        hospital_number="H998877",
        received_on=dt.date(2021, 6, 7),
    )
    assert_refused(
        coordinator_client,
        valid_referral(nhs_number=""),
        {
            "id_hospital_number": "Ada Byron (hospital number H998877) is already on the list, "
            "referred 7 June 2021"
        },
    )


def test_each_required_answer_left_blank_gets_its_own_message(coordinator_client: Client) -> None:
    # What a browser sends for the form as first shown, submitted untouched.
    blank = {
        name: ""
        for name in [
            "given_name",
            "family_name",
            "birth_date_day",
            "birth_date_month",
            "birth_date_year",
            "nhs_number",
            "hospital_number",
            "school",
            "gp_practice",
            "received_on_day",
            "received_on_month",
            "received_on_year",
            "consultant",
            "carer_name",
            "carer_relationship",
            "carer_phone",
            "carer_email",
        ]
    }
    assert_refused(
        coordinator_client,
        {**blank, "source": "gp", "priority": "routine"},
        {
            "id_given_name": "Enter the child's first name",
            "id_family_name": "Enter the child's last name",
            "id_birth_date-day": "Enter date of birth",
            "id_received_on-day": "Enter date referral received",
            "id_carer_name": "Enter the carer's full name",
            "id_carer_relationship": "Enter the carer's relationship to the child",
        },
    )


def test_a_referral_without_a_source_or_priority_is_refused(coordinator_client: Client) -> None:
    assert_refused(
        coordinator_client,
        valid_referral(source="", priority=""),
        {
            "id_source": "Select who referred the child",
            "id_priority": "Select the clinical priority",
        },
    )


def test_a_refused_form_keeps_what_was_typed(coordinator_client: Client) -> None:
    response = coordinator_client.post(ADD, valid_referral(nhs_number=FAILING_NHS_NUMBER))
    tree = page(response)
    assert tree.find("input", name="given_name").attrs["value"] == "Ada"
    assert tree.find("input", name="nhs_number").attrs["value"] == FAILING_NHS_NUMBER
    assert tree.find("input", name="birth_date_year").attrs["value"] == "2017"


def test_a_valid_referral_puts_the_child_on_the_list(
    coordinator_client: Client, coordinator: Any
) -> None:
    response = coordinator_client.post(ADD, valid_referral())

    referral = Referral.objects.unscoped().get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pathways:referral", kwargs={"pk": referral.pk})
    child = coordinator_client.get(response["Location"])
    assert banner(child) == "Ada Lovelace is on the waiting list."
    assert (referral.patient.nhs_number, referral.patient.hospital_number) == (
        VALID_NHS_NUMBER,
        "H998877",
    )
    assert (referral.received_on, referral.status) == (
        dt.date(2023, 9, 1),
        Status.AWAITING_INFORMATION,
    )
    (carer,) = referral.patient.carers.all()
    assert (carer.name, carer.parental_responsibility) == ("Grace Lovelace", True)
    (event,) = referral.events.all()
    assert (event.kind, event.effective, event.actor_name) == (
        EventKind.REFERRAL_RECEIVED,
        dt.date(2023, 9, 1),
        "Test Coordinator",
    )
    assert names(coordinator_client.get(LIST)) == ["LOVELACE, Ada"]


# Recording a report or form as received ---------------------------------------------------


def receive_url(referral: Referral, kind: str) -> str:
    return reverse("pathways:receive-requirement", kwargs={"pk": referral.pk, "kind": kind})


def test_the_last_report_in_makes_the_child_ready_for_panel(
    secretary_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral(
        given_name="Nia",
        family_name="Brown",
        requirements={"school_report": RECEIVED, "salt_report": RECEIVED},
    )
    form = page(secretary_client.get(receive_url(referral, "consent")))
    assert form.find("h1").all_text() == "Record the opt-in and consent form as received"

    response = secretary_client.post(
        receive_url(referral, "consent"), date_fields("received_on", dt.date(2024, 2, 1))
    )

    assert response.status_code == 302
    child = secretary_client.get(response["Location"])
    assert banner(child) == (
        "Opt-in and consent form recorded as received. Nia Brown is now ready for panel."
    )
    assert "Status Ready for panel, since 1 February 2024" in text_of(child)
    referral.refresh_from_db()
    assert (referral.status, referral.ready_on) == (Status.READY_FOR_PANEL, dt.date(2024, 2, 1))
    assert list_rows(secretary_client.get(LIST))[0][-1] == "Ready for panel"


def test_a_report_that_is_not_the_last_does_not_make_the_child_ready(
    secretary_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    response = secretary_client.post(
        receive_url(referral, "school_report"), date_fields("received_on", dt.date(2024, 2, 1))
    )
    assert banner(secretary_client.get(response["Location"])) == (
        "School report recorded as received."
    )
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_INFORMATION


def test_a_report_cannot_be_recorded_as_received_twice(
    secretary_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    url = receive_url(referral, "school_report")
    secretary_client.post(url, date_fields("received_on", dt.date(2024, 2, 1)))
    events = referral.events.count()

    response = secretary_client.post(url, date_fields("received_on", dt.date(2024, 3, 1)))

    assert error_summary(response) == [
        (
            "The school report was already recorded as received on 1 February 2024.",
            "#main-content-form",
        ),
    ]
    assert referral.events.count() == events
    assert referral.requirements.get(kind="school_report").received_on == dt.date(2024, 2, 1)


def test_a_report_received_in_the_future_is_refused(
    secretary_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    response = secretary_client.post(
        receive_url(referral, "school_report"),
        date_fields("received_on", today() + dt.timedelta(days=1)),
    )
    assert error_summary(response) == [
        ("Date received must be today or in the past", "#id_received_on-day")
    ]
    assert referral.events.count() == 1


def test_a_requirement_the_pathway_does_not_have_is_page_not_found(
    secretary_client: Client, make_referral: MakeReferral
) -> None:
    response = secretary_client.get(receive_url(make_referral(), "x_ray"))
    assert response.status_code == 404


# Discharge and its correction -----------------------------------------------------------


def discharge_url(referral: Referral) -> str:
    return reverse("pathways:discharge", kwargs={"pk": referral.pk})


DISCHARGE_ON = dt.date(2024, 3, 5)


def discharge_answers(**changes: str) -> dict[str, str]:
    return {
        "reason": "moved_away",
        **date_fields("effective", DISCHARGE_ON),
        "note": "Letter from the family",
        **changes,
    }


def test_discharge_asks_to_check_and_confirm_before_changing_anything(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral(given_name="Nia", family_name="Brown")

    response = coordinator_client.post(discharge_url(referral), discharge_answers())

    tree = page(response)
    assert tree.find("h1").all_text() == "Check and confirm the discharge"
    text = tree.all_text()
    assert "Reason Moved away" in text
    assert "Took effect 5 March 2024" in text
    assert "Note Letter from the family" in text
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_INFORMATION
    assert not referral.events.filter(kind=EventKind.DISCHARGED).exists()
    assert names(coordinator_client.get(LIST)) == ["BROWN, Nia"]


def test_a_confirmed_discharge_takes_the_child_off_the_list_from_the_date_given(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral(given_name="Nia", family_name="Brown")

    response = coordinator_client.post(discharge_url(referral), discharge_answers(confirm="yes"))

    assert response.status_code == 302
    child = coordinator_client.get(response["Location"])
    assert banner(child) == "Nia Brown has been discharged."
    assert "Status Discharged: Moved away, 5 March 2024" in text_of(child)
    referral.refresh_from_db()
    assert (referral.status, referral.discharged_on, referral.discharge_reason) == (
        Status.DISCHARGED,
        DISCHARGE_ON,
        "moved_away",
    )
    event = referral.events.get(kind=EventKind.DISCHARGED)
    assert (event.effective, event.actor_name, event.details["note"]) == (
        DISCHARGE_ON,
        "Test Coordinator",
        "Letter from the family",
    )
    assert names(coordinator_client.get(LIST)) == []


def test_discharge_needs_a_reason_and_a_date_that_has_happened(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    response = coordinator_client.post(
        discharge_url(referral),
        {"reason": "", **date_fields("effective", today() + dt.timedelta(days=1))},
    )
    assert error_summary(response) == [
        ("Select why the child is leaving the list", "#id_reason"),
        ("Date it took effect must be today or in the past", "#id_effective-day"),
    ]
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_INFORMATION


def test_a_discharged_child_cannot_have_a_report_recorded(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral(given_name="Nia", family_name="Brown")
    coordinator_client.post(discharge_url(referral), discharge_answers(confirm="yes"))
    events = referral.events.count()

    response = coordinator_client.post(
        receive_url(referral, "school_report"), date_fields("received_on", DISCHARGE_ON)
    )

    assert error_summary(response) == [
        (
            "Nia Brown was discharged on 5 March 2024 (moved away), so the school report "
            "cannot be recorded.",
            "#main-content-form",
        ),
    ]
    assert referral.events.count() == events
    assert referral.requirements.get(kind="school_report").state == RequirementState.OUTSTANDING


def test_a_discharged_child_cannot_be_discharged_again(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral(given_name="Nia", family_name="Brown")
    coordinator_client.post(discharge_url(referral), discharge_answers(confirm="yes"))

    response = coordinator_client.post(discharge_url(referral), discharge_answers(confirm="yes"))

    assert "Nia Brown is already discharged" in text_of(response)
    assert referral.events.filter(kind=EventKind.DISCHARGED).count() == 1


def test_a_wrong_discharge_can_be_reversed_keeping_both_in_the_history(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral(given_name="Nia", family_name="Brown")
    discharged = coordinator_client.post(discharge_url(referral), discharge_answers(confirm="yes"))
    coordinator_client.get(discharged["Location"])  # and reads the banner

    response = coordinator_client.post(
        reverse("pathways:reverse-discharge", kwargs={"pk": referral.pk}),
        {"why": "Wrong child: the letter was about her cousin"},
    )

    assert response.status_code == 302
    child = coordinator_client.get(response["Location"])
    assert banner(child) == "Nia Brown is back on the waiting list."
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_INFORMATION
    assert names(coordinator_client.get(LIST)) == ["BROWN, Nia"]
    entries = [
        item.all_text() for item in page(child).find("ol", cls="app-timeline").find_all("li")
    ]
    assert any(
        e.startswith("Discharged: Moved away Reversed Took effect 5 March 2024") for e in entries
    ), entries
    assert any(
        e.startswith(
            "Correction: the discharged was wrong – Wrong child: the letter was about "
            "her cousin Took effect 5 March 2024"
        )
        for e in entries
    ), entries


def test_reversing_a_discharge_needs_a_reason(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    coordinator_client.post(discharge_url(referral), discharge_answers(confirm="yes"))
    response = coordinator_client.post(
        reverse("pathways:reverse-discharge", kwargs={"pk": referral.pk}), {"why": ""}
    )
    assert error_summary(response) == [("Say why the discharge was wrong", "#id_why")]
    referral.refresh_from_db()
    assert referral.status == Status.DISCHARGED


def test_a_secretary_cannot_discharge(
    secretary_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    response = secretary_client.post(discharge_url(referral), discharge_answers(confirm="yes"))
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_INFORMATION
    child = page(secretary_client.get(reverse("pathways:referral", kwargs={"pk": referral.pk})))
    assert not child.find_all("a", href=discharge_url(referral))


def test_a_clinician_sees_no_buttons_to_change_the_pathway(
    clinician_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    child = page(clinician_client.get(reverse("pathways:referral", kwargs={"pk": referral.pk})))
    assert not child.find_all("a", href=discharge_url(referral))
    assert not child.find_all("a", href=receive_url(referral, "school_report"))
