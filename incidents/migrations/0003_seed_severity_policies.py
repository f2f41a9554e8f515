from django.db import migrations


def seed(apps, schema_editor):
    from incidents.models.severity import GUIDE_DEFAULTS

    SeverityPolicy = apps.get_model("incidents", "SeverityPolicy")
    for severity, values in GUIDE_DEFAULTS.items():
        SeverityPolicy.objects.get_or_create(severity=severity, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
