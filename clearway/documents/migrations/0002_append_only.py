"""Make documents and their "filed in error" notes append-only in the database itself: a file
filed to a child is never rewritten or removed, only marked as filed in error."""

from django.db import migrations

from clearway.core.append_only import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [
        append_only_trigger("documents_document", "documents are append-only"),
        append_only_trigger("documents_filedinerror", "documents filed in error are append-only"),
    ]
