"""The contact log, task history and chase-rule changes are append-only in the database too."""

from django.db import migrations

from clearway.core.append_only import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("contact", "0001_initial")]
    operations = [
        append_only_trigger("contact_contactrecord", "the contact log is append-only"),
        append_only_trigger("contact_taskevent", "task history is append-only"),
        append_only_trigger("contact_chaserulechange", "chase rule changes are append-only"),
    ]
