"""The sweeps are in django_celery_beat's schedule after every migrate, and re-registering is harmless."""

import pytest
from django.contrib.auth.models import Group
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from config.celery import app
from postmortems.beat import PERIODIC_TASKS, register_periodic_tasks

pytestmark = pytest.mark.django_db

TASKS = {
    "postmortems.remind_overdue_action_items",
    "postmortems.remind_overdue_reviews",
    "postmortems.send_weekly_digest",
    "postmortems.draft_missing_postmortems",
}


def test_migrate_registered_every_sweep():
    rows = PeriodicTask.objects.filter(task__startswith="postmortems.")
    assert set(rows.values_list("task", flat=True)) == TASKS
    digest = rows.get(task="postmortems.send_weekly_digest")
    assert (digest.crontab.minute, digest.crontab.hour, digest.crontab.day_of_week) == ("0", "8", "1")
    assert rows.get(task="postmortems.draft_missing_postmortems").interval.every == 15


def test_registering_again_keeps_one_row_each_and_the_operators_switch():
    PeriodicTask.objects.filter(task="postmortems.send_weekly_digest").update(enabled=False)
    crontabs = CrontabSchedule.objects.count()

    register_periodic_tasks()
    register_periodic_tasks()

    assert PeriodicTask.objects.filter(task__startswith="postmortems.").count() == len(PERIODIC_TASKS)
    assert CrontabSchedule.objects.count() == crontabs
    assert not PeriodicTask.objects.get(task="postmortems.send_weekly_digest").enabled


def test_the_scheduled_names_are_celery_tasks():
    app.loader.import_default_modules()
    assert set(app.tasks) >= TASKS


def test_managers_may_open_the_postmortem_admin():
    codenames = set(Group.objects.get(name="Manager").permissions.filter(
        content_type__app_label="postmortems").values_list("codename", flat=True))
    assert {"view_postmortem", "view_actionitem", "change_actionitem"} <= codenames
