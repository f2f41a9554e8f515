"""Thin Celery tasks: each calls one service. Beat runs them from CELERY_BEAT_SCHEDULE in config/settings/base.py."""

from celery import shared_task

from postmortems import services


@shared_task(name="postmortems.remind_overdue_action_items")
def remind_overdue_action_items() -> int:
    return services.action_items_remind_overdue()


@shared_task(name="postmortems.remind_overdue_reviews")
def remind_overdue_reviews() -> int:
    return services.postmortems_remind_review_overdue()


@shared_task(name="postmortems.send_weekly_digest")
def send_weekly_digest() -> int:
    return services.action_items_send_weekly_digest()


@shared_task(name="postmortems.draft_missing_postmortems")
def draft_missing_postmortems() -> int:
    return services.postmortems_draft_missing()
