"""``clearway manage demo_validate``: play out the demo's validation against its PAS extract."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearway.demo.validation import DemoNotLoaded, play_validation


class Command(BaseCommand):
    help = (
        "Validate the demo's SCD list against var/demo/pas_extract.csv and confirm the "
        "proposed removals as the demo coordinator (demo data only)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="the day the extract stands on (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(play_validation(options["as_of"]))
        except DemoNotLoaded as error:
            raise CommandError(str(error)) from error
