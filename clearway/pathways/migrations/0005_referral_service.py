"""Each referral belongs to a service: those from before services join the default SCD one."""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models


def into_the_default_service(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    Referral = apps.get_model("pathways", "Referral")
    service, _ = Service.objects.get_or_create(
        slug="scd",
        defaults={"name": "Social communication disorder (SCD) assessment", "pathway_key": "scd"},
    )
    Referral._base_manager.filter(service__isnull=True).update(service=service)


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0004_retention_decision"),
        ("services", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="patient",
            options={
                "default_manager_name": "all_objects",
                "ordering": ["family_name", "given_name"],
            },
        ),
        migrations.AlterModelOptions(
            name="referral",
            options={"default_manager_name": "all_objects", "ordering": ["received_on", "pk"]},
        ),
        migrations.AlterModelManagers(
            name="patient",
            managers=[
                ("all_objects", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="referral",
            managers=[
                ("all_objects", django.db.models.manager.Manager()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="referral",
            name="one_open_referral_per_child",
        ),
        migrations.AddField(
            model_name="referral",
            name="service",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="referrals",
                to="services.service",
            ),
        ),
        migrations.RunPython(into_the_default_service, migrations.RunPython.noop),
    ]
