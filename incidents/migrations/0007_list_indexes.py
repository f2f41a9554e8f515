from django.db import migrations, models


class Migration(migrations.Migration):
    """The lists' order (pages, API, admin) as an index, carrying the columns lists filter on most; the
    recurrence metric's order (service, dedup key, detection); and MTBF's (service, detection)."""

    dependencies = [
        ("incidents", "0006_integrations"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["-detected_at", "-id"], include=["service", "state", "severity"],
                name="incident_detected_order",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["service", "dedup_key", "detected_at", "id"], include=["false_alarm"],
                name="incident_recurrence",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["service", "detected_at"], include=["false_alarm"], name="incident_service_failures",
            ),
        ),
    ]
