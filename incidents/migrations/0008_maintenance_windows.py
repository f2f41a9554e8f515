# Urgency hours and maintenance windows (issue 9, first half).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import oncall.models.team


def p3_p4_wait_for_working_hours(apps, schema_editor):
    # The guide: 24/7 coverage for P1/P2, business hours for P3/P4.
    SeverityPolicy = apps.get_model("incidents", "SeverityPolicy")
    SeverityPolicy.objects.filter(severity__in=["P3", "P4"]).update(page_outside_working_hours=False)


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0007_list_indexes"),
        ("oncall", "0005_notification_delivery"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="paging_deferred_until",
            field=models.DateTimeField(blank=True, help_text="Paging waits for the team's working hours until then (P3/P4 at night).", null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="paging_held_until",
            field=models.DateTimeField(blank=True, help_text="In maintenance: nobody is paged until then, then level 1 again.", null=True),
        ),
        migrations.AddField(
            model_name="service",
            name="paging_hours",
            field=models.CharField(choices=[("policy", "As each severity policy says"), ("always", "At any hour, every severity (24/7)")], default="policy", help_text="Whether P3/P4 incidents opened outside the team's working hours wait for them before paging.", max_length=8),
        ),
        migrations.AddField(
            model_name="severitypolicy",
            name="page_outside_working_hours",
            field=models.BooleanField(default=True, help_text="Page at any hour. Off: an incident opened outside the team's working hours pages nobody until they begin (the guide: 24/7 for P1/P2, business hours for P3/P4)."),
        ),
        migrations.RunPython(p3_p4_wait_for_working_hours, migrations.RunPython.noop),
        migrations.CreateModel(
            name="MaintenanceWindow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reason", models.CharField(max_length=200)),
                ("starts_at", models.DateTimeField(help_text="Start (of the first occurrence, for a weekly window).")),
                ("ends_at", models.DateTimeField(help_text="End (of the first occurrence, for a weekly window).")),
                ("recurrence", models.CharField(choices=[("once", "One-off"), ("weekly", "Every week")], default="once", max_length=8)),
                ("time_zone", models.CharField(blank=True, help_text="Weekly windows repeat at the same local times in this zone; empty: the team's time zone.", max_length=64, validators=[oncall.models.team.validate_time_zone])),
                ("repeat_until", models.DateField(blank=True, help_text="Weekly: the last day an occurrence may start (local); empty: no end.", null=True)),
                ("next_start_at", models.DateTimeField(blank=True, editable=False, help_text="The start of the next occurrence the paging sweep has not applied yet.", null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("service", models.ForeignKey(blank=True, help_text="Empty: every service of the team.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name="maintenance_windows", to="incidents.service")),
                ("team", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="maintenance_windows", to="oncall.team")),
            ],
            options={
                "ordering": ["starts_at", "id"],
            },
        ),
        migrations.AddField(
            model_name="incident",
            name="maintenance_window",
            field=models.ForeignKey(blank=True, help_text="The maintenance window holding this incident's paging.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="incidents.maintenancewindow"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(condition=models.Q(("paging_held_until__isnull", False)), fields=["paging_held_until"], name="incident_maintenance_end_due"),
        ),
        migrations.AddIndex(
            model_name="maintenancewindow",
            index=models.Index(condition=models.Q(("next_start_at__isnull", False)), fields=["next_start_at"], name="maintenance_start_due"),
        ),
        migrations.AddIndex(
            model_name="maintenancewindow",
            index=models.Index(fields=["team", "ends_at"], name="maintenance_team_ends"),
        ),
        migrations.AddConstraint(
            model_name="maintenancewindow",
            constraint=models.CheckConstraint(condition=models.Q(("ends_at__gt", models.F("starts_at"))), name="maintenance_ends_after_start"),
        ),
    ]
