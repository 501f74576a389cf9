from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "SCD coordinator"
    SECRETARY = "secretary", "Medical secretary"
    CLINICIAN = "clinician", "Clinician"
    MANAGER = "manager", "Service manager"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A member of staff. Each person has one role in the service."""

    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)
