"""Play out the demo's validation: its list checked against its PAS extract, and the removals
confirmed as the case's coordinator confirmed them (1,109 children → about 566).

Everything goes through the same service functions as the pages, as the demo coordinator:
the extract is uploaded, the list validated, each high-confidence group of children seen or
discharged confirmed together, and every other proposed removal (a death, a second entry, a
less certain match) confirmed child by child. Proposals that need a person to check them are
left on the worklist.
"""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from clearway.accounts.models import User
from clearway.intake import services
from clearway.intake.models import GROUPABLE, REMOVALS, Outcome, UploadKind, ValidationRun
from clearway.pathways.models import WAITING, Referral
from clearway.services.models import Service

#: The note kept with each decision the demo makes.
NOTE = "Demo: confirmed against PAS, as the case's coordinator did"


class DemoNotLoaded(Exception):
    """There is no demo list (or no PAS extract) to validate."""


def pas_extract_path() -> Path:
    return Path(settings.VAR_DIR) / "demo" / "pas_extract.csv"


def play_validation(as_of: dt.date | None = None) -> str:
    """Validate the demo's SCD list against ``var/demo/pas_extract.csv``; confirm the removals.

    Returns a short summary to print.
    """
    path = pas_extract_path()
    service = Service.objects.filter(slug="scd").first()
    coordinator = User.objects.filter(username="coordinator").first()
    if service is None or coordinator is None or not path.is_file():
        raise DemoNotLoaded("Load the demo first: `clearway demo`.")
    waiting = Referral.objects.for_service(service).filter(status__in=WAITING)
    before = waiting.count()
    with path.open("rb") as handle:
        upload = services.receive_upload(
            coordinator,
            service,
            UploadKind.PAS_EXTRACT,
            iter(lambda: handle.read(1 << 20), b""),
            path.name,
        )
    run = services.validate_list(coordinator, service, upload, as_of or timezone.localdate())
    confirmed = confirm_removals(coordinator, run)
    after = waiting.count()
    to_check = run.proposals.to_decide().count()
    return "\n".join(
        [
            f"Validated the {service} list against {path.name} "
            f"({run.seconds:.1f} seconds): {before:,} children checked.",
            "  Proposed: "
            + ", ".join(
                f"{Outcome(outcome).label.lower()} {count:,}"
                for outcome, count in run.counts.items()
                if count
            ),
            f"  Confirmed {confirmed:,} removals: {before:,} → {after:,} children on the list.",
            f"  Left for a person to check: {to_check:,} (the worklist, validation {run.pk}).",
        ]
    )


def confirm_removals(actor: User, run: ValidationRun) -> int:
    """Confirm every proposed removal of ``run``: the groups first, then one by one."""
    confirmed = 0
    groups = (
        run.proposals.to_decide()
        .filter(outcome__in=GROUPABLE, confidence="high")
        .values_list("outcome", "agreement")
        .distinct()
    )
    for outcome, agreement in list(groups):
        members = list(run.proposals.group(outcome, agreement).order_by("pk"))
        digest = services.group_digest(members)
        try:
            decisions = services.confirm_group(actor, run, outcome, agreement, digest, NOTE)
        except services.IntakeError:
            continue  # the group stops whole; its children are confirmed one by one below
        confirmed += len(decisions)
    for proposal in run.proposals.to_decide().filter(outcome__in=REMOVALS).order_by("pk"):
        try:
            services.confirm(actor, proposal, NOTE)
        except services.IntakeError:
            continue  # left on the worklist, with its evidence, for a person
        confirmed += 1
    return confirmed
