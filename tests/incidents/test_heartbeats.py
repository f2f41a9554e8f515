"""Heartbeat monitors: the ping endpoint, the sweep that opens an incident for a missed beat (once), the next ping
that resolves it, paused monitors, key rotation, and the admin."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import HeartbeatMonitor, Incident, IncidentSource, TimelineEntry, TimelineKind
from incidents.models.integration import hash_key
from incidents.services import incident_resolve
from incidents.services.heartbeats import (
    heartbeat_create,
    heartbeat_pause,
    heartbeat_ping,
    heartbeat_rotate_key,
    heartbeats_sweep,
)
from tests.factories.heartbeats import HeartbeatMonitorFactory
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def monitor(service):
    return HeartbeatMonitorFactory(service=service, name="nightly backup", severity="P2", now=T0)


def ping_url(key: str) -> str:
    return f"/integrations/heartbeat/{key}/"


def heartbeat_incidents(monitor):
    return Incident.objects.filter(dedup_key=monitor.dedup_key)


# --- the ping endpoint ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_ping_with_get_or_post_is_answered_200_and_recorded(monitor, method):
    sender = Client(enforce_csrf_checks=True)
    response = getattr(sender, method)(ping_url(monitor.key))
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    monitor.refresh_from_db()
    assert monitor.pings_received == 1 and monitor.last_ping_at is not None
    assert monitor.next_due_at == monitor.last_ping_at + 6 * MIN


def test_the_path_without_trailing_slash_works_too(monitor, client):
    assert client.get(ping_url(monitor.key).rstrip("/")).status_code == 200


def test_an_unknown_key_is_404_and_other_methods_405(monitor, client):
    assert client.get(ping_url("x" * 32)).status_code == 404
    assert client.put(ping_url(monitor.key)).status_code == 405
    monitor.refresh_from_db()
    assert monitor.pings_received == 0


def test_only_the_hash_of_the_key_is_stored(monitor):
    assert monitor.key_hash == hash_key(monitor.key) and monitor.key not in monitor.key_hash
    assert len(monitor.key) == 32


def test_an_inactive_monitor_refuses_pings(monitor, client):
    HeartbeatMonitor.objects.filter(pk=monitor.pk).update(is_active=False)
    assert client.get(ping_url(monitor.key)).status_code == 404


def test_the_ping_is_a_fast_path(monitor, client, django_assert_max_num_queries):
    # No session, user, CSRF or message middleware; the monitor row locked, updated — that's it.
    with django_assert_max_num_queries(4):
        assert client.post(ping_url(monitor.key)).status_code == 200


# --- the sweep --------------------------------------------------------------------------------------------


def test_nothing_happens_while_the_beat_is_not_due(monitor):
    assert heartbeats_sweep(now=T0 + 6 * MIN - dt.timedelta(seconds=1)) == 0
    assert not heartbeat_incidents(monitor).exists()


def test_a_missed_beat_opens_one_incident_and_the_next_ping_resolves_it(monitor):
    assert heartbeats_sweep(now=T0 + 6 * MIN) == 1
    (incident,) = heartbeat_incidents(monitor)
    assert incident.source == IncidentSource.HEARTBEAT and incident.severity == "P2" and incident.is_open
    assert incident.title == "Missed heartbeat: nightly backup"
    assert incident.impact_started_at == T0 + 5 * MIN  # when the beat was expected
    missed = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.HEARTBEAT)
    assert "nightly backup" in missed.note and missed.data["event"] == "missed"
    monitor.refresh_from_db()
    assert monitor.incident == incident and monitor.status == "missed"

    # Later sweeps find nothing to do: one incident per monitor.
    assert heartbeats_sweep(now=T0 + 20 * MIN) == 0
    assert heartbeat_incidents(monitor).count() == 1

    heartbeat_ping(key=monitor.key, now=T0 + 21 * MIN)
    incident.refresh_from_db()
    assert incident.state == "resolved" and incident.resolved_at is not None
    entry = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION).last()
    assert entry.to_state == "resolved" and entry.actor is None
    assert "pinged again" in entry.note and entry.data["heartbeat"] == monitor.pk
    monitor.refresh_from_db()
    assert monitor.incident is None and monitor.status == "up"
    assert monitor.next_due_at == T0 + 27 * MIN


def test_after_recovery_a_new_miss_opens_a_new_incident(monitor):
    heartbeats_sweep(now=T0 + 6 * MIN)
    heartbeat_ping(key=monitor.key, now=T0 + 7 * MIN)
    assert heartbeats_sweep(now=T0 + 13 * MIN) == 1
    assert heartbeat_incidents(monitor).count() == 2
    assert heartbeat_incidents(monitor).filter(state="resolved").count() == 1


def test_a_ping_after_people_resolved_the_incident_leaves_a_note(monitor, engineer):
    heartbeats_sweep(now=T0 + 6 * MIN)
    incident = heartbeat_incidents(monitor).get()
    incident_resolve(incident=incident, user=engineer, note="Restarted the cron host")
    heartbeat_ping(key=monitor.key, now=T0 + 30 * MIN)
    notes = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.HEARTBEAT).order_by("at", "id")
    assert [e.data["event"] for e in notes] == ["missed", "ping"]
    monitor.refresh_from_db()
    assert monitor.incident is None


def test_paused_monitors_are_not_checked_and_resume_counting_from_now(monitor):
    heartbeat_pause(user=None, monitor=monitor, paused=True, now=T0 + MIN)
    assert heartbeats_sweep(now=T0 + 60 * MIN) == 0
    heartbeat_pause(user=None, monitor=monitor, paused=False, now=T0 + 60 * MIN)
    monitor.refresh_from_db()
    assert monitor.next_due_at == T0 + 66 * MIN and monitor.status == "waiting"
    assert heartbeats_sweep(now=T0 + 65 * MIN) == 0
    assert heartbeats_sweep(now=T0 + 66 * MIN) == 1


def test_a_paused_monitor_still_records_pings(monitor):
    heartbeat_pause(user=None, monitor=monitor, paused=True, now=T0)
    assert heartbeat_ping(key=monitor.key, now=T0 + MIN) is not None
    monitor.refresh_from_db()
    assert monitor.pings_received == 1 and monitor.status == "paused"


def test_rotating_the_key_stops_the_old_one_at_once(monitor, client):
    _, new_key = heartbeat_rotate_key(user=None, monitor=monitor)
    assert client.get(ping_url(monitor.key)).status_code == 404
    assert client.get(ping_url(new_key)).status_code == 200


def test_monitors_of_inactive_services_open_nothing(monitor, service):
    type(service).objects.filter(pk=service.pk).update(is_active=False)
    assert heartbeats_sweep(now=T0 + 6 * MIN) == 0 or not heartbeat_incidents(monitor).exists()
    assert not heartbeat_incidents(monitor).exists()


def test_the_sweep_reads_due_monitors_in_batches(service):
    HeartbeatMonitorFactory.create_batch(5, service=service, now=T0)
    assert heartbeats_sweep(now=T0 + 6 * MIN, batch_size=2) == 5
    assert Incident.objects.filter(source=IncidentSource.HEARTBEAT).count() == 5


def test_one_monitor_that_cannot_open_its_incident_does_not_stop_the_others(service, monkeypatch):
    import incidents.services.heartbeats as heartbeats

    broken = HeartbeatMonitorFactory(service=service, name="broken", now=T0 - MIN)  # due first
    healthy = HeartbeatMonitorFactory.create_batch(2, service=service, now=T0)
    declare = heartbeats.incident_declare

    def declare_or_fail(**fields):
        if fields["dedup_key"] == broken.dedup_key:
            raise RuntimeError("the database refused this one")
        return declare(**fields)

    monkeypatch.setattr(heartbeats, "incident_declare", declare_or_fail)

    assert heartbeats_sweep(now=T0 + 6 * MIN, batch_size=1) == 2
    assert all(heartbeat_incidents(monitor).count() == 1 for monitor in healthy)
    assert not heartbeat_incidents(broken).exists()
    monkeypatch.setattr(heartbeats, "incident_declare", declare)
    assert heartbeats_sweep(now=T0 + 7 * MIN) == 1  # still due: the next sweep retries it
    assert heartbeat_incidents(broken).count() == 1


def test_bad_timing_is_refused(service):
    from config.errors import ApplicationError

    with pytest.raises(ApplicationError, match="interval"):
        heartbeat_create(user=None, service=service, name="x", interval=dt.timedelta(seconds=5))
    with pytest.raises(ApplicationError, match="Name"):
        heartbeat_create(user=None, service=service, name=" ", interval=5 * MIN)


def test_only_managers_create_monitors(service, engineer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        heartbeat_create(user=engineer, service=service, name="x", interval=5 * MIN)


# --- the admin ----------------------------------------------------------------------------------------------

URL_PATTERN = re.compile(r'<code class="heartbeat-url">http://[^<]*/integrations/heartbeat/([A-Za-z0-9]{32})/</code>')


def test_a_manager_adds_a_monitor_in_the_admin_and_sees_its_url_once(client, manager, service):
    client.force_login(manager)
    add_url = reverse("admin:incidents_heartbeatmonitor_add")
    data = form_data(client.get(add_url).content, "heartbeatmonitor_form")
    data.update(service=str(service.pk), name="invoice export", interval="00:10:00", grace="00:02:00", severity="P3")
    response = client.post(add_url, data)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key = URL_PATTERN.search(response.content.decode())[1]
    monitor = HeartbeatMonitor.objects.get()
    assert monitor.key_hash == hash_key(key) and monitor.interval == 10 * MIN
    change = client.get(reverse("admin:incidents_heartbeatmonitor_change", args=[monitor.pk])).content.decode()
    assert key not in change and monitor.key_prefix in change

    rotated = client.post(reverse("admin:incidents_heartbeatmonitor_changelist"),
                          {"action": "rotate_keys", "_selected_action": [monitor.pk]})
    new_key = URL_PATTERN.search(rotated.content.decode())[1]
    assert new_key != key
    monitor.refresh_from_db()
    assert monitor.key_hash == hash_key(new_key)

    client.post(reverse("admin:incidents_heartbeatmonitor_changelist"),
                {"action": "pause", "_selected_action": [monitor.pk]})
    monitor.refresh_from_db()
    assert monitor.paused


def test_other_teams_monitors_are_not_in_the_admin(client, manager, other_service):
    other, _ = heartbeat_create(user=None, service=other_service, name="theirs", interval=5 * MIN)
    client.force_login(manager)
    assert client.get(reverse("admin:incidents_heartbeatmonitor_change", args=[other.pk])).status_code in (302, 404)
    page = client.get(reverse("admin:incidents_heartbeatmonitor_changelist")).content.decode()
    assert "theirs" not in page


def test_the_service_page_in_the_admin_lists_its_monitors(client, manager, monitor, service):
    client.force_login(manager)
    page = client.get(reverse("admin:incidents_service_change", args=[service.pk])).content.decode()
    assert "nightly backup" in page and "waiting" in page and "Add a heartbeat monitor" in page


@pytest.mark.parametrize("key", ["%ED%A0%80", "%00", "x" * 500, "%F0%9F%92%93"])
def test_odd_keys_are_a_plain_404(client, monitor, key):
    assert client.get(f"/integrations/heartbeat/{key}/").status_code == 404
