from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    SECRETARY = "secretary", "Medical secretary"
    CLINICIAN = "clinician", "Clinician"
    MANAGER = "manager", "Service manager"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A member of staff: one role, in one or more services."""

    role = models.CharField(max_length=20, choices=Role.choices)
    services = models.ManyToManyField("services.Service", related_name="staff", blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)


class ExternalIdentity(models.Model):
    """A person's identity at a single sign-on provider: the issuer and its ``sub`` for them.

    A person signed in by single sign-on is found by this pair only, never by email or
    username, so a provider cannot take over a local account by asserting its address.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="unique_external_identity")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"
