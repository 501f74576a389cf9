"""Make the event history append-only in the database itself, not only in the app."""

from django.db import migrations

from clearway.core.append_only import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("pathways", "0001_initial")]
    operations = [append_only_trigger("pathways_event", "pathway events are append-only")]
