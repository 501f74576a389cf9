from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "clearway.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from clearway.audit import signals  # noqa: F401 - connects the sign-in receivers
