"""Make decisions on validation proposals append-only in the database itself, not only in
the app: who decided what, and why, is never rewritten."""

from django.db import migrations

from clearway.core.append_only import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]
    operations = [append_only_trigger("intake_decision", "decisions on proposals are append-only")]
