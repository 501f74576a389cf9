from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clearway.accounts"
    label = "accounts"
