from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clearway.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from clearway.accounts import oidc  # noqa: F401 - registers its system check
        from clearway.accounts.signals import start_session_clocks

        user_logged_in.connect(start_session_clocks, dispatch_uid="clearway-session-clocks")
