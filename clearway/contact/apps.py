from django.apps import AppConfig


class ContactConfig(AppConfig):
    name = "clearway.contact"
    label = "contact"
    verbose_name = "Standard work and contact"

    def ready(self) -> None:
        from clearway.contact import services
        from clearway.pathways.signals import referral_changed, referrals_added

        referral_changed.connect(services._on_referral_changed, dispatch_uid="contact-plan")
        referrals_added.connect(services._on_referrals_added, dispatch_uid="contact-plan-all")
