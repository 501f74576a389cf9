"""``clearway manage notify_statuses``: bring every message not yet final up to date with
GOV.UK Notify (statuses of sent messages, the fate of interrupted ones). Sends nothing."""

from typing import Any

from django.core.management.base import BaseCommand

from clearway.contact.messaging import refresh_statuses
from clearway.contact.models import MessageState


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        counts = refresh_statuses()
        if not counts:
            self.stdout.write("No messages are waiting for news from GOV.UK Notify.")
            return
        for state, count in sorted(counts.items()):
            self.stdout.write(f"{MessageState(state).label}: {count}")
