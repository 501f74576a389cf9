from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "clearway.pathways"
    label = "pathways"
