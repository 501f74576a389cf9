from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clearway.core"
    label = "core"

    def ready(self) -> None:
        from clearway.core import checks  # noqa: F401 - registers the system checks
