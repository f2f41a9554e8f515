"""The post-mortem sweeps in django_celery_beat's schedule, registered after every migrate (idempotent).

Operators may retune or disable the rows in the admin: a later migrate puts back the task and schedule
but leaves `enabled` alone. Every sweep is idempotent per day (per week for the digest), so running
one more often than planned, or twice at once, writes nothing twice.
"""

# name -> (task, schedule, description). Crontab fields are minute, hour, day_of_week (UTC).
PERIODIC_TASKS = {
    "postmortems: remind owners of overdue action items": (
        "postmortems.remind_overdue_action_items", ("crontab", ("0", "7-18", "*")),
        "Hourly during the UTC working day; each overdue item's owner is reminded once per day.",
    ),
    "postmortems: remind owners of overdue reviews": (
        "postmortems.remind_overdue_reviews", ("crontab", ("0", "7-18", "*")),
        "Hourly during the UTC working day; each draft past its review due date is reminded once per day.",
    ),
    "postmortems: weekly digest of overdue action items": (
        "postmortems.send_weekly_digest", ("crontab", ("0", "8", "1")),
        "Mondays 08:00 UTC; each team's managers get one digest per ISO week.",
    ),
    "postmortems: draft missing post-mortems": (
        "postmortems.draft_missing_postmortems", ("interval", 15),
        "Every 15 minutes; drafts a resolved P1/P2's post-mortem if the resolve signal's reaction was lost.",
    ),
}


def register_periodic_tasks(sender=None, using: str = "default", **kwargs) -> None:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    for name, (task, (kind, spec), description) in PERIODIC_TASKS.items():
        schedule = {"interval": None, "crontab": None, "solar": None, "clocked": None}
        if kind == "crontab":
            minute, hour, day_of_week = spec
            schedule["crontab"], _ = CrontabSchedule.objects.using(using).get_or_create(
                minute=minute, hour=hour, day_of_week=day_of_week, day_of_month="*", month_of_year="*",
                timezone="UTC",
            )
        else:
            schedule["interval"], _ = IntervalSchedule.objects.using(using).get_or_create(
                every=spec, period=IntervalSchedule.MINUTES
            )
        PeriodicTask.objects.using(using).update_or_create(
            name=name, defaults={"task": task, "description": description, **schedule}
        )
