"""People work in services: everyone from before services works in the default SCD one."""

from django.db import migrations, models


def into_the_default_service(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    User = apps.get_model("accounts", "User")
    service, _ = Service.objects.get_or_create(
        slug="scd",
        defaults={"name": "Social communication disorder (SCD) assessment", "pathway_key": "scd"},
    )
    service.staff.add(*User.objects.all())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_external_identity"),
        ("services", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="services",
            field=models.ManyToManyField(blank=True, related_name="staff", to="services.service"),
        ),
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("coordinator", "Coordinator"),
                    ("secretary", "Medical secretary"),
                    ("clinician", "Clinician"),
                    ("manager", "Service manager"),
                    ("admin", "Administrator"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(into_the_default_service, migrations.RunPython.noop),
    ]
