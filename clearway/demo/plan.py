"""The demo service planned in plain Python: children, their reports, their history, and PAS.

The demo is shaped like the case on the day its recovery began: a list of about 1,109 children
referred over three and a half years, a mean wait near 421 days and a longest over 1,200, most
reports outstanding, and a PAS that knows about half the children were seen or discharged long
ago. Nothing here touches the database: :mod:`clearway.demo.service` writes what is planned.

The same seed and day always give the same plan. Each part draws from its own random stream,
so a change to one part (say, carers) does not reshuffle another (say, NHS numbers).
"""

import datetime as dt
import math
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from nhs_number import calculate_checksum

from clearway.demo import words
from clearway.pathways.models import EventKind, Priority, RequirementState, Source, Status

#: The longest wait on the demo day, in days: about 3½ years, as in the case.
LONGEST_WAIT = 1277

#: Share of requirements received, overall (older referrals are likelier to have theirs in).
RECEIVED_RATES = {"school_report": 0.50, "salt_report": 0.30, "consent": 0.55}
DEFAULT_RECEIVED_RATE = 0.45
#: A requirement that comes only after another: SaLT assesses a child after the carer opts in.
COMES_AFTER = {"salt_report": "consent"}
#: Days from referral to request, and from request to receipt.
DELAYS = {
    "consent": ((1, 14), (7, 120)),
    "school_report": ((1, 21), (14, 240)),
    "salt_report": ((1, 21), (30, 300)),
}
DEFAULT_DELAYS = ((1, 21), (14, 240))

#: What validation against PAS should find, as shares of the list (the case: 1,109 → 566).
SEEN_SHARE = 0.39
DISCHARGED_SHARE = 0.08
DUPLICATE_SHARE = 0.018
DECEASED_SHARE = 0.0027
#: Children PAS knows who are not on the list (other clinics, or seen and rightly closed).
PAS_ONLY_SHARE = 0.06

PANEL_CLINIC = "SCD Panel"
REFERRAL_CLINIC = "SCD"
DISCHARGE_CLINICS = (("SCD", 7), ("SCD - opted out", 2), ("SCD - moved out of area", 1))

#: Who the second carer is, by who the first is, with weights.
SECOND_CARERS = {
    "Mother": (("Father", 75), ("Stepfather", 15), ("Grandmother", 10)),
    "Father": (("Mother", 75), ("Stepmother", 15), ("Grandmother", 10)),
    "Grandmother": (("Grandfather", 70), ("Mother", 30)),
}

_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_OFFICE_OPENS = 8 * 60 + 30  # minutes after midnight
_OFFICE_CLOSES = 17 * 60


@dataclass(slots=True)
class PlannedRequirement:
    key: str
    state: str
    requested_on: dt.date | None = None
    received_on: dt.date | None = None
    #: Every day it was asked for (a chase asks again); the last is ``requested_on``.
    requests: list[dt.date] = field(default_factory=list)
    #: Arrived with the referral itself (no event of its own, as ``add_referral`` records).
    with_referral: bool = False


@dataclass(slots=True)
class PlannedEvent:
    kind: str
    effective: dt.date
    recorded_at: dt.datetime
    status_before: str
    status_after: str
    details: dict[str, Any]


@dataclass(slots=True)
class PasEvent:
    event: str
    event_date: dt.date
    clinic: str


@dataclass(slots=True)
class PlannedChild:
    """One row of the demo list: a child, their referral and its history, and what PAS says."""

    number: int  # position on the list, oldest referral first
    given_name: str
    family_name: str
    birth_date: dt.date
    nhs_number: str | None  # as the list has it
    hospital_number: str | None
    address: str
    postcode: str
    school: int  # index into DemoPlan.schools
    gp_practice: str
    looked_after: bool
    social_worker_name: str
    social_worker_phone: str
    social_worker_email: str
    carers: list[dict[str, Any]]
    received_on: dt.date
    source: str
    priority: str
    consultant: int | None  # index into DemoPlan.consultants
    status: str
    ready_on: dt.date | None
    requirements: list[PlannedRequirement]
    events: list[PlannedEvent]
    #: What a careful person validating against PAS on the demo day would conclude.
    truth: str
    #: For a child entered twice: the number of the first entry.
    duplicate_of: int | None
    #: The child's PAS record (the first entry's for a duplicate) and its events.
    pas_id: str | None
    pas_nhs_number: str
    pas_events: list[PasEvent]


@dataclass(slots=True)
class PasChild:
    """A child PAS knows who is not on the list."""

    pas_id: str
    nhs_number: str
    given_name: str
    family_name: str
    birth_date: dt.date
    pas_events: list[PasEvent]


@dataclass(slots=True)
class _Slot:
    received_on: dt.date
    truth: str = "waiting"
    copy_of: "_Slot | None" = None
    has_copy: bool = False
    number: int = -1


def _weekday_within(day: dt.date, lo: dt.date, hi: dt.date) -> dt.date | None:
    """The weekday nearest ``day`` within [lo, hi] (offices record on weekdays), if any day fits."""
    if lo > hi:
        return None
    day = min(max(day, lo), hi)
    for shift in (0, -1, 1, -2, 2):
        candidate = day + dt.timedelta(days=shift)
        if lo <= candidate <= hi and candidate.weekday() < 5:
            return candidate
    return day


def _between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def _weighted_sample(
    rng: random.Random, items: Sequence[_Slot], weights: Sequence[float], k: int
) -> list[_Slot]:
    """k items without replacement, likelier by weight (Efraimidis and Spirakis)."""
    keyed = sorted(
        ((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights) if w > 0), reverse=True
    )
    return [items[i] for _, i in keyed[:k]]


def nhs_numbers(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct, valid NHS numbers in the 999 test range (never a real person's)."""
    wanted = min(1_000_000, int(count * 1.15) + 50)
    numbers: list[str] = []
    for value in rng.sample(range(1_000_000), wanted):
        digits = f"999{value:06d}"
        check = calculate_checksum(digits)
        if check is not None and check != 10:
            numbers.append(f"{digits}{check}")
            if len(numbers) == count:
                return numbers
    raise ValueError(f"The 999 test range holds too few NHS numbers for {count:,} children.")


def _ascii(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


class DemoPlan:
    """The demo service for one seed, standing on one day.

    ``children()`` yields the list, oldest referral first; ``pas_only()`` the children PAS
    knows who are not on it. Both may be called any number of times and give the same plan.
    """

    def __init__(
        self,
        seed: int,
        today: dt.date,
        children: int,
        requirement_keys: Sequence[str],
        time_zone: ZoneInfo,
    ) -> None:
        if children < 1:
            raise ValueError("The demo needs at least one child.")
        self.seed = seed
        self.today = today
        self.last_day = today - dt.timedelta(days=1)
        self.size = children
        self.requirement_keys = tuple(requirement_keys)
        self.time_zone = time_zone
        self.consultants = list(words.CONSULTANTS)
        self.schools = self._schools()
        self._slots = self._list_slots()
        self.pas_only_count = round(children * PAS_ONLY_SHARE)
        ids = random.Random(f"{seed}:identifiers")
        total = children + self.pas_only_count
        self._nhs_numbers = nhs_numbers(ids, total)
        self._hospital_numbers = [f"RX{v:07d}" for v in ids.sample(range(10_000_000), total)]

    def _rng(self, part: str) -> random.Random:
        return random.Random(f"{self.seed}:{part}")

    # --- the shape of the list ------------------------------------------------------------

    def _list_slots(self) -> list[_Slot]:
        """Referral dates and what validation will find, for every row of the list.

        Waits are stratified, wait_i = LONGEST_WAIT * ((i + u_i) / n)², so the mean is close to
        LONGEST_WAIT / 3 (about 426 days) for any seed, and the longest strata wait over 1,200.
        """
        rng = self._rng("list")
        n = self.size
        slots = []
        for i in range(n):
            days = max(1, round(LONGEST_WAIT * ((i + rng.random()) / n) ** 2))
            received = self.today - dt.timedelta(days=days)
            if received.weekday() >= 5:  # referrals are registered on weekdays
                received -= dt.timedelta(days=received.weekday() - 4)
            slots.append(_Slot(received))
        slots.sort(key=lambda s: s.received_on)

        # Children entered twice: the second entry has no NHS number, sometimes a later date.
        copies = round(n * DUPLICATE_SHARE)
        order = list(range(1, n))
        rng.shuffle(order)
        for position in order:
            if copies == 0:
                break
            copy = slots[position]
            if copy.copy_of is not None or copy.has_copy:
                continue
            gap = rng.randint(1, 40)
            first = slots[max(0, position - gap)]
            if first is copy or first.copy_of is not None or first.has_copy:
                continue
            copy.copy_of = first
            first.has_copy = True
            if rng.random() < 0.5:
                copy.received_on = first.received_on
            copy.truth = "duplicate"
            copies -= 1
        slots.sort(key=lambda s: (s.received_on, s.copy_of is not None))
        for number, slot in enumerate(slots):
            slot.number = number

        # Seen or discharged long ago, per PAS: the older the referral, the likelier.
        free = [s for s in slots if s.copy_of is None and not s.has_copy]

        def waited(slot: _Slot) -> int:
            return (self.today - slot.received_on).days

        deceased = max(1, round(n * DECEASED_SHARE)) if n >= 50 else 0
        weights = [1.0 if waited(s) >= 60 else 0.0 for s in free]
        for slot in _weighted_sample(rng, free, weights, deceased):
            slot.truth = "deceased"
        free = [s for s in free if s.truth == "waiting"]
        weights = [math.sqrt(waited(s) / LONGEST_WAIT) if waited(s) >= 42 else 0.0 for s in free]
        for slot in _weighted_sample(rng, free, weights, round(n * SEEN_SHARE)):
            slot.truth = "seen"
        free = [s for s in free if s.truth == "waiting"]
        weights = [1.0 if waited(s) >= 14 else 0.0 for s in free]
        for slot in _weighted_sample(rng, free, weights, round(n * DISCHARGED_SHARE)):
            slot.truth = "discharged"
        return slots

    def _schools(self) -> list[dict[str, Any]]:
        rng = self._rng("schools")
        schools = []
        for name, kind in words.SCHOOLS:
            town, district = rng.choice(words.TOWNS)
            slug = re.sub(r"[^a-z]+", "-", name.lower().replace("'", "")).strip("-")
            schools.append(
                {
                    "name": name,
                    "kind": kind,
                    "phone": f"0113 496 0{rng.randrange(1000):03d}",
                    "email": f"office@{slug}.example.org",
                    "address": f"{rng.choice(words.STREETS)}\n{town}",
                    "postcode": self._postcode(rng, district),
                }
            )
        return schools

    # --- people ---------------------------------------------------------------------------

    @staticmethod
    def _postcode(rng: random.Random, district: str) -> str:
        letters = "".join(rng.choice(_INWARD_LETTERS) for _ in range(2))
        return f"{district} {rng.randint(1, 9)}{letters}"

    @staticmethod
    def _mobile(rng: random.Random) -> str:
        return f"07700 900{rng.randrange(1000):03d}"

    @staticmethod
    def _landline(rng: random.Random) -> str:
        return f"0113 496 0{rng.randrange(1000):03d}"

    @staticmethod
    def _birth_date(rng: random.Random, referred: dt.date) -> dt.date:
        """Aged 2 to 16 at referral, most of them young."""
        age_days = 731 + int(5476 * rng.random() ** 1.6)
        return referred - dt.timedelta(days=age_days)

    def _school_for(self, rng: random.Random, birth_date: dt.date) -> int:
        age = (self.today - birth_date).days / 365.25
        kind = (
            "nursery"
            if age < 4
            else "primary"
            if age < 11
            else "secondary"
            if age < 16
            else "college"
        )
        if kind in {"primary", "secondary"} and rng.random() < 0.05:
            kind = "special"
        choices = [i for i, school in enumerate(self.schools) if school["kind"] == kind]
        return rng.choice(choices)

    def _carers(
        self, rng: random.Random, family_name: str, home: str, looked_after: bool
    ) -> list[dict[str, Any]]:
        """One or two carers; the first is the main contact. Foster carers lack parental
        responsibility (the local authority holds it), as do most step-parents."""

        def carer(
            relationship: str, surname: str, responsible: bool, address: str
        ) -> dict[str, Any]:
            male = relationship in {"Father", "Stepfather", "Grandfather"}
            if relationship == "Foster carer":
                male = rng.random() < 0.3
            first = rng.choice(words.MEN if male else words.WOMEN)
            email = ""
            if rng.random() < 0.6:
                email = f"{_ascii(first)}.{_ascii(surname)}{rng.randint(1, 99)}@example.com"
            return {
                "name": f"{first} {surname}",
                "relationship": relationship,
                "parental_responsibility": responsible,
                "phone": self._mobile(rng),
                "email": email,
                "address": address,
                "main_contact": False,
            }

        if looked_after:
            surname = rng.choice(words.SURNAMES)
            carers = [carer("Foster carer", surname, False, home)]
            if rng.random() < 0.5:
                carers.append(carer("Foster carer", surname, False, home))
        else:
            main = rng.choices(("Mother", "Father", "Grandmother"), (80, 15, 5))[0]
            surname = family_name if rng.random() < 0.75 else rng.choice(words.SURNAMES)
            carers = [carer(main, surname, main != "Grandmother" or rng.random() < 0.3, home)]
            if rng.random() < 0.55:
                others = SECOND_CARERS[main]
                second = rng.choices([r for r, _ in others], [w for _, w in others])[0]
                parent = second in {"Mother", "Father"}
                address = home
                if parent and rng.random() < 0.2:  # separated: lives elsewhere
                    town, district = rng.choice(words.TOWNS)
                    street = rng.choice(words.STREETS)
                    address = (
                        f"{rng.randint(1, 180)} {street}\n{town}\n{self._postcode(rng, district)}"
                    )
                surname = (
                    family_name if parent or rng.random() < 0.5 else rng.choice(words.SURNAMES)
                )
                carers.append(carer(second, surname, parent and rng.random() < 0.95, address))
        carers[0]["main_contact"] = True
        return carers

    # --- the pathway ----------------------------------------------------------------------

    def _requirements(
        self, rng: random.Random, received_on: dt.date, source: str
    ) -> list[PlannedRequirement]:
        wait = (self.today - received_on).days
        readiness = 0.55 + 0.9 * min(1.0, math.sqrt(wait / LONGEST_WAIT))  # averages 1
        keys = sorted(
            self.requirement_keys, key=lambda k: COMES_AFTER.get(k) in self.requirement_keys
        )
        planned: dict[str, PlannedRequirement] = {}
        for key in keys:
            requirement = PlannedRequirement(key, RequirementState.OUTSTANDING)
            planned[key] = requirement
            if key == "school_report" and source == Source.SCHOOL and rng.random() < 0.5:
                requirement.state = RequirementState.RECEIVED
                requirement.received_on = received_on
                requirement.with_referral = True
                continue
            rate = RECEIVED_RATES.get(key, DEFAULT_RECEIVED_RATE)
            after = COMES_AFTER.get(key)
            earliest = received_on
            if after in planned:
                rate /= RECEIVED_RATES.get(after, DEFAULT_RECEIVED_RATE)
                before = planned[after].received_on
                earliest = before + dt.timedelta(days=14) if before else self.today
            (ask_lo, ask_hi), (get_lo, get_hi) = DELAYS.get(key, DEFAULT_DELAYS)
            asked = _weekday_within(
                received_on + dt.timedelta(days=rng.randint(ask_lo, ask_hi)),
                received_on,
                self.last_day,
            )
            if asked is None:
                continue  # referred too recently to have asked
            if rng.random() < min(0.97, rate * readiness):
                lo = max(asked, earliest)
                got = max(asked + dt.timedelta(days=rng.randint(get_lo, get_hi)), lo)
                if got > self.last_day and lo <= self.last_day:
                    got = _between(rng, lo, self.last_day)
                got_on = _weekday_within(got, lo, self.last_day)
                if got_on is not None:
                    requirement.state = RequirementState.RECEIVED
                    requirement.requested_on = asked
                    requirement.requests = [asked]
                    requirement.received_on = got_on
                    continue
            if rng.random() < 0.12:
                continue  # never asked for: the kind of gap the case found
            requirement.state = RequirementState.REQUESTED
            requirement.requests = [asked]
            if (self.last_day - asked).days > 90 and rng.random() < 0.4:
                chase = _weekday_within(
                    asked + dt.timedelta(days=rng.randint(42, 120)), asked, self.last_day
                )
                if chase is not None and chase > asked:
                    requirement.requests.append(chase)
            requirement.requested_on = requirement.requests[-1]
        return [planned[key] for key in self.requirement_keys]

    def _recorded_at(self, day: dt.date, minute: int) -> dt.datetime:
        return dt.datetime(
            day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.time_zone
        )

    def _history(
        self,
        rng: random.Random,
        received_on: dt.date,
        source: str,
        priority: str,
        requirements: list[PlannedRequirement],
    ) -> tuple[list[PlannedEvent], str, dt.date | None]:
        """The events the service would have recorded, with the status after each."""
        index = {r.key: i for i, r in enumerate(requirements)}
        steps: list[tuple[dt.date, int, int, str, str]] = []
        for r in requirements:
            for asked in r.requests:
                steps.append((asked, 1, index[r.key], EventKind.REQUIREMENT_REQUESTED, r.key))
            if r.received_on is not None and not r.with_referral:
                steps.append(
                    (r.received_on, 2, index[r.key], EventKind.REQUIREMENT_RECEIVED, r.key)
                )
        steps.sort()
        pending = {r.key for r in requirements if not r.with_referral}
        status = Status.AWAITING_INFORMATION if pending else Status.READY_FOR_PANEL
        ready_on = None if pending else received_on
        minute = rng.randint(_OFFICE_OPENS, _OFFICE_CLOSES - 60)
        at_referral = {
            r.key: RequirementState.RECEIVED if r.with_referral else RequirementState.OUTSTANDING
            for r in requirements
        }
        events = [
            PlannedEvent(
                EventKind.REFERRAL_RECEIVED,
                received_on,
                self._recorded_at(received_on, minute),
                "",
                status,
                {"source": source, "priority": priority, "requirements": at_referral},
            )
        ]
        last_day = received_on
        for day, _, _, kind, key in steps:
            if day == last_day:
                minute = min(minute + rng.randint(1, 25), 23 * 60 + 59)
            else:
                minute = rng.randint(_OFFICE_OPENS, _OFFICE_CLOSES)
                last_day = day
            before = status
            details: dict[str, Any] = {"requirement": key}
            if kind == EventKind.REQUIREMENT_RECEIVED:
                pending.discard(key)
                if not pending:
                    status = Status.READY_FOR_PANEL
                    ready_on = day
                    details["ready_for_panel"] = True
            events.append(
                PlannedEvent(kind, day, self._recorded_at(day, minute), before, status, details)
            )
        return events, status, ready_on

    # --- PAS ------------------------------------------------------------------------------

    def _pas_events(self, rng: random.Random, slot: _Slot, birth_date: dt.date) -> list[PasEvent]:
        received = slot.received_on
        last = self.last_day
        events = [PasEvent("referral", received, REFERRAL_CLINIC)]

        def on(lo: dt.date, hi: dt.date) -> dt.date | None:
            if lo > hi:
                return None
            return _weekday_within(_between(rng, lo, hi), lo, hi)

        if slot.truth == "seen":
            wait = (self.today - received).days
            lo = min(received + dt.timedelta(days=max(42, wait // 4)), last)
            attended = on(lo, last) or last
            if rng.random() < 0.1 and (
                wnb := on(received + dt.timedelta(days=14), attended - dt.timedelta(days=14))
            ):
                events.append(PasEvent("was_not_brought", wnb, PANEL_CLINIC))
            events.append(PasEvent("attended", attended, PANEL_CLINIC))
            if rng.random() < 0.75 and (
                left := on(
                    attended + dt.timedelta(days=5), min(last, attended + dt.timedelta(days=40))
                )
            ):
                events.append(PasEvent("discharged", left, REFERRAL_CLINIC))
        elif slot.truth == "discharged":
            left = on(received + dt.timedelta(days=14), last) or last
            clinic = rng.choices(
                [c for c, _ in DISCHARGE_CLINICS], [w for _, w in DISCHARGE_CLINICS]
            )[0]
            events.append(PasEvent("discharged", left, clinic))
        elif slot.truth == "deceased":
            died = _between(rng, min(received + dt.timedelta(days=30), last), last)
            events.append(PasEvent("deceased", died, ""))
        else:
            # Noise that is not "seen": missed or cancelled panels, other clinics, an old episode.
            if rng.random() < 0.08 and (day := on(received + dt.timedelta(days=30), last)):
                events.append(PasEvent("was_not_brought", day, PANEL_CLINIC))
            if rng.random() < 0.04 and (day := on(received + dt.timedelta(days=30), last)):
                events.append(PasEvent("cancelled", day, PANEL_CLINIC))
            earlier = birth_date + dt.timedelta(days=800)
            if rng.random() < 0.015 and (day := on(earlier, received - dt.timedelta(days=200))):
                events.append(PasEvent("attended", day, PANEL_CLINIC))
                events.append(
                    PasEvent(
                        "discharged",
                        min(day + dt.timedelta(days=21), received - dt.timedelta(days=1)),
                        REFERRAL_CLINIC,
                    )
                )
        if rng.random() < 0.12 and (day := on(birth_date + dt.timedelta(days=365), last)):
            events.append(PasEvent("attended", day, rng.choice(words.OTHER_CLINICS)))
        return events

    # --- the plan -------------------------------------------------------------------------

    def children(self) -> Iterator[PlannedChild]:
        """Every row of the list, oldest referral first (a second entry after its first)."""
        rng = self._rng("children")
        firsts: dict[int, PlannedChild] = {}
        for slot in self._slots:
            if slot.copy_of is None:
                child = self._child(rng, slot)
            else:
                child = self._second_entry(rng, slot, firsts.pop(slot.copy_of.number))
            if slot.has_copy:
                firsts[slot.number] = child
            yield child

    def _child(self, rng: random.Random, slot: _Slot) -> PlannedChild:
        received = slot.received_on
        given = rng.choice(words.BOYS if rng.random() < 0.72 else words.GIRLS)
        family = rng.choice(words.SURNAMES)
        birth = self._birth_date(rng, received)
        town, district = rng.choice(words.TOWNS)
        address = f"{rng.randint(1, 180)} {rng.choice(words.STREETS)}\n{town}"
        postcode = self._postcode(rng, district)
        looked_after = rng.random() < 0.03
        social_worker = ("", "", "")
        if looked_after:
            first, last = rng.choice(words.WOMEN + words.MEN), rng.choice(words.SURNAMES)
            social_worker = (
                f"{first} {last}",
                self._landline(rng),
                f"{_ascii(first)}.{_ascii(last)}@childrens-services.example.org",
            )
        carers = self._carers(rng, family, f"{address}\n{postcode}", looked_after)
        nhs = self._nhs_numbers[slot.number]
        return self._referral(
            rng,
            slot,
            given_name=given,
            family_name=family,
            birth_date=birth,
            nhs_number=None if rng.random() < 0.04 else nhs,
            hospital_number=self._hospital_numbers[slot.number],
            address=address,
            postcode=postcode,
            school=self._school_for(rng, birth),
            gp_practice=rng.choice(words.GP_PRACTICES),
            looked_after=looked_after,
            social_worker_name=social_worker[0],
            social_worker_phone=social_worker[1],
            social_worker_email=social_worker[2],
            carers=carers,
            duplicate_of=None,
            pas_id=self._hospital_numbers[slot.number],
            pas_nhs_number=nhs,
            pas_events=self._pas_events(rng, slot, birth),
        )

    def _second_entry(self, rng: random.Random, slot: _Slot, first: PlannedChild) -> PlannedChild:
        """The same child entered again by hand: same name, birth date and home, no numbers."""
        return self._referral(
            rng,
            slot,
            given_name=first.given_name,
            family_name=first.family_name,
            birth_date=first.birth_date,
            nhs_number=None,
            hospital_number=None,
            address=first.address,
            postcode=first.postcode,
            school=first.school,
            gp_practice=first.gp_practice,
            looked_after=first.looked_after,
            social_worker_name=first.social_worker_name,
            social_worker_phone=first.social_worker_phone,
            social_worker_email=first.social_worker_email,
            carers=[dict(carer) for carer in first.carers],
            duplicate_of=first.number,
            pas_id=first.pas_id,
            pas_nhs_number=first.pas_nhs_number,
            pas_events=[],
        )

    def _referral(self, rng: random.Random, slot: _Slot, **person: Any) -> PlannedChild:
        received = slot.received_on
        age = (received - person["birth_date"]).days / 365.25
        if age < 5:
            sources = (
                Source.HEALTH_VISITOR,
                Source.GP,
                Source.PAEDIATRICIAN,
                Source.SALT,
                Source.OTHER,
            )
            source = rng.choices(sources, (35, 35, 15, 10, 5))[0]
        else:
            sources = (Source.GP, Source.SCHOOL, Source.PAEDIATRICIAN, Source.SALT, Source.OTHER)
            source = rng.choices(sources, (40, 30, 15, 8, 7))[0]
        priority = Priority.URGENT if rng.random() < 0.05 else Priority.ROUTINE
        consultant = None
        if rng.random() < 0.9:
            consultant = rng.choices(range(len(self.consultants)), (30, 30, 25, 15))[0]
        requirements = self._requirements(rng, received, source)
        events, status, ready_on = self._history(rng, received, source, priority, requirements)
        return PlannedChild(
            number=slot.number,
            received_on=received,
            source=source,
            priority=priority,
            consultant=consultant,
            status=status,
            ready_on=ready_on,
            requirements=requirements,
            events=events,
            truth=slot.truth,
            **person,
        )

    def pas_only(self) -> list[PasChild]:
        """Children in PAS who are not on the list: other clinics, or seen and rightly closed."""
        rng = self._rng("pas-only")
        children = []
        for i in range(self.pas_only_count):
            number = self.size + i
            referred = self.today - dt.timedelta(days=rng.randint(30, 4 * 365))
            birth = self._birth_date(rng, referred)
            if rng.random() < 0.25:
                seen = (
                    _weekday_within(_between(rng, referred, self.last_day), referred, self.last_day)
                    or referred
                )
                events = [
                    PasEvent("referral", referred, REFERRAL_CLINIC),
                    PasEvent("attended", seen, PANEL_CLINIC),
                    PasEvent(
                        "discharged",
                        min(seen + dt.timedelta(days=14), self.last_day),
                        REFERRAL_CLINIC,
                    ),
                ]
            else:
                clinic = rng.choice(words.OTHER_CLINICS)
                events = [PasEvent("referral", referred, clinic)]
                if rng.random() < 0.6:
                    events.append(
                        PasEvent("attended", _between(rng, referred, self.last_day), clinic)
                    )
            children.append(
                PasChild(
                    pas_id=self._hospital_numbers[number],
                    nhs_number=self._nhs_numbers[number],
                    given_name=rng.choice(words.BOYS if rng.random() < 0.6 else words.GIRLS),
                    family_name=rng.choice(words.SURNAMES),
                    birth_date=birth,
                    pas_events=events,
                )
            )
        return children
