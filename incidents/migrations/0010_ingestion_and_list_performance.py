import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Alert.service without a database constraint (the ORM's PROTECT stays; see the model), and the list
    index for severity filters."""

    dependencies = [
        ("incidents", "0009_heartbeats_noise"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alert",
            name="service",
            field=models.ForeignKey(
                db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT,
                related_name="alerts", to="incidents.service",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["severity", "-detected_at", "-id"], include=("service", "state"), name="incident_severity_order"
            ),
        ),
    ]
