"""What reaches the broker and when: only after commit, and never an error for the user if it is down."""

from unittest import mock

import pytest

from incidents.models import Incident
from incidents.services import incident_acknowledge, incident_reopen, incident_resolve
from incidents.services.paging import escalations_sweep, incident_escalate
from oncall.models import Notification
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures)
from tests.incidents.paging_fixtures import declare, page_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    """The two publishers, mocked: the escalation kick and the delivery hand-over."""
    with (
        mock.patch("incidents.tasks.escalate_incident.apply_async") as kick,
        mock.patch("oncall.tasks.deliver_notification.apply_async") as deliver,
    ):
        yield kick, deliver


def test_declaring_kicks_a_worker_after_commit_only(service, ladder, broker, django_capture_on_commit_callbacks):
    kick, deliver = broker
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = declare(service, "P1")
    kick.assert_not_called()
    for callback in callbacks:
        callback()
    kick.assert_called_once_with((incident.pk,))
    deliver.assert_not_called()  # paging is the worker's job, not the declaration's


def test_the_kicked_task_pages_level_1_and_hands_each_row_to_the_broker_after_commit(
    service, ladder, broker, django_capture_on_commit_callbacks
):
    _, deliver = broker
    incident = declare(service, "P1")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert incident_escalate(incident_id=incident.pk) == 1
    deliver.assert_not_called()
    for callback in callbacks:
        callback()
    rows = Notification.objects.filter(topic=f"incident:{incident.pk}")
    handed = sorted(call.args[0] for call in deliver.call_args_list)
    assert handed == sorted((pk,) for pk in rows.values_list("pk", flat=True))
    assert incident_escalate(incident_id=incident.pk) == 0  # not due again until level 2
    assert escalations_sweep() == 0


def test_reopening_kicks_a_worker(service, ladder, broker, django_capture_on_commit_callbacks):
    kick, _ = broker
    incident = declare(service, "P2")
    incident_resolve(incident=incident, user=ladder["pia"])
    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(incident=incident, user=ladder["pia"])
    kick.assert_called_once_with((incident.pk,))


def test_acknowledging_kicks_nothing(service, ladder, broker, django_capture_on_commit_callbacks):
    kick, deliver = broker
    incident = declare(service, "P2")
    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, user=ladder["pia"])
    kick.assert_not_called()
    deliver.assert_not_called()


def test_a_broker_outage_never_fails_a_declaration(service, ladder, django_capture_on_commit_callbacks):
    with (
        mock.patch("incidents.tasks.escalate_incident.apply_async", side_effect=ConnectionRefusedError()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        incident = declare(service, "P1")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.next_escalation_at == incident.detected_at  # due: the next sweep pages it
    escalations_sweep()
    assert [who for _, _, who in page_log(incident)] == ["pia"]


def test_every_beat_entry_names_a_registered_task_and_sweeps_have_their_own_queue(settings):
    from config.celery import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
    assert settings.CELERY_BEAT_SCHEDULE[
        "paging: escalations, acknowledgement SLA breaches, update reminders"
    ]["schedule"] == 15.0
    route = app.amqp.router.route
    assert route({}, "incidents.paging_sweep")["queue"].name == "sweeps"
    assert route({}, "oncall.deliver_notification")["queue"].name == "celery"
    assert route({}, "incidents.escalate_incident")["queue"].name == "celery"
