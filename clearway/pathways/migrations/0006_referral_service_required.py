"""Each referral belongs to a service, now that 0005 gave every referral one.

A migration of its own, so that on PostgreSQL the rows 0005 updated are committed (and their
deferred foreign-key checks run) before the table is altered.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0005_referral_service"),
    ]

    operations = [
        migrations.AlterField(
            model_name="referral",
            name="service",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="referrals",
                to="services.service",
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["service", "received_on"], name="pathways_re_service_5ab454_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        ("awaiting_information", "ready_for_panel", "booked", "assessed"),
                    )
                ),
                fields=("patient", "service"),
                name="one_open_referral_per_child_and_service",
                violation_error_message="This child already has an open referral to this service.",
            ),
        ),
    ]
