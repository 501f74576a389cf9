"""Django's migrate, then fresh planner statistics (SQLite drops them when it rebuilds a table)."""

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate

from clearway.core.db import refresh_statistics


class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        refresh_statistics(options["database"])
