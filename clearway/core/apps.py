from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clearway.core"
    label = "core"
