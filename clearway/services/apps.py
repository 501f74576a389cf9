from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "clearway.services"
    label = "services"
