"""Make the audit trail append-only in the database itself, not only in the app.

To make PostgreSQL's refusal hold against a person with database access too, run Clearway as a
role that does not own the table (see docs/safety/security.md).
"""

from django.db import migrations

from clearway.core.append_only import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [append_only_trigger("audit_auditentry", "audit entries are append-only")]
