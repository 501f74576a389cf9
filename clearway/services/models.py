"""Services on one installation: a trust runs several pathways (SCD, autism, ADHD) on one server.

Each referral belongs to one service and each member of staff works in one or more; a person
sees a child only through a referral in their current service (``clearway.services.scoping``).
"""

from django.db import models

from clearway.pathways.definition import PathwayDefinition, pathway_for

#: The service every installation starts with, and that referrals from before services belong to.
DEFAULT_SERVICE_NAME = "Social communication disorder (SCD) assessment"
DEFAULT_SERVICE_SLUG = "scd"


class Service(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    #: The pathway definition this service runs: a file stem in clearway/pathways/definitions/.
    pathway_key = models.SlugField("Pathway", max_length=40, default="scd")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def pathway(self) -> PathwayDefinition:
        return pathway_for(self.pathway_key)
