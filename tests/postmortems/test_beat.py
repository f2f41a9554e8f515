"""The post-mortem sweeps are in CELERY_BEAT_SCHEDULE, the one place for beat entries: every entry names a Celery
task, and beat's DatabaseScheduler keeps one django_celery_beat row per entry name (rows registered by the old
post_migrate hook had the same names, so they are updated in place and keep the operators' on/off switch)."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from config.celery import app

pytestmark = pytest.mark.django_db

SWEEPS = {
    "postmortems.remind_overdue_action_items",
    "postmortems.remind_overdue_reviews",
    "postmortems.send_weekly_digest",
    "postmortems.draft_missing_postmortems",
}


def entry_for(task: str) -> dict:
    (entry,) = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == task]
    return entry


def beat_starts() -> None:
    """What the DatabaseScheduler does when beat starts: copy each settings entry into django_celery_beat's
    tables by name (DatabaseScheduler.update_from_dict)."""
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        ModelEntry.from_entry(name, app=app, **entry)


def test_every_sweep_is_scheduled_in_the_settings():
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} >= SWEEPS


def test_every_schedule_entry_names_a_registered_celery_task():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name


@pytest.mark.parametrize(
    ("task", "minute", "hour", "day_of_week"),
    [
        ("postmortems.remind_overdue_action_items", {0}, set(range(7, 19)), set(range(7))),
        ("postmortems.remind_overdue_reviews", {0}, set(range(7, 19)), set(range(7))),
        ("postmortems.send_weekly_digest", {0}, {8}, {1}),
    ],
)
def test_the_reminders_run_on_their_utc_crontabs(task, minute, hour, day_of_week):
    schedule = entry_for(task)["schedule"]

    assert (schedule.minute, schedule.hour, schedule.day_of_week) == (minute, hour, day_of_week)
    assert settings.CELERY_TIMEZONE == "UTC"


def test_missing_drafts_are_swept_every_15_minutes():
    assert entry_for("postmortems.draft_missing_postmortems")["schedule"] == 15 * 60


def test_migrate_registers_no_periodic_tasks():
    assert not PeriodicTask.objects.filter(task__startswith="postmortems.").exists()


def test_beat_keeps_one_row_per_entry_and_the_operators_switch():
    # A row as the old post_migrate hook registered it, switched off by an operator.
    PeriodicTask.objects.create(
        name="postmortems: draft missing post-mortems", task="postmortems.draft_missing_postmortems",
        interval=IntervalSchedule.objects.create(every=15, period=IntervalSchedule.MINUTES), enabled=False,
    )

    beat_starts()
    beat_starts()

    rows = PeriodicTask.objects.filter(task__startswith="postmortems.")
    assert set(rows.values_list("name", flat=True)) == {
        name for name, entry in settings.CELERY_BEAT_SCHEDULE.items() if entry["task"] in SWEEPS
    }
    assert rows.count() == len(SWEEPS)
    drafts = rows.get(task="postmortems.draft_missing_postmortems")
    assert (drafts.interval.every, drafts.interval.period, drafts.enabled) == (900, IntervalSchedule.SECONDS, False)
    digest = rows.get(task="postmortems.send_weekly_digest").crontab
    assert (digest.minute, digest.hour, digest.day_of_week, str(digest.timezone)) == ("0", "8", "1", "UTC")
    assert CrontabSchedule.objects.filter(minute="0", hour="7-18").count() == 1


def test_managers_may_open_the_postmortem_admin():
    codenames = set(Group.objects.get(name="Manager").permissions.filter(
        content_type__app_label="postmortems").values_list("codename", flat=True))
    assert {"view_postmortem", "view_actionitem", "change_actionitem"} <= codenames
