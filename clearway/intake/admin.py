from django.contrib import admin

from clearway.core.admin import ReadOnlyAdmin
from clearway.intake.models import Decision, LegacyImport, Upload, ValidationRun


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "kind", "service", "uploaded_by_name", "uploaded_at")
    list_filter = ("kind", "service")


@admin.register(LegacyImport)
class LegacyImportAdmin(ReadOnlyAdmin):
    list_display = ("upload", "service", "imported_count", "not_imported_count", "imported_at")


@admin.register(ValidationRun)
class ValidationRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "service", "as_of", "list_size", "created_by_name", "created_at")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("proposal", "verdict", "actor_name", "decided_at")
    list_filter = ("verdict",)
