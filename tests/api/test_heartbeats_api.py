"""Heartbeat monitors in the API: managers create (key shown once), edit, pause, rotate and delete; the team sees
them; other teams get 404; bad input is a 400 naming the field."""

import datetime as dt

import pytest

from incidents.models import HeartbeatMonitor
from incidents.models.integration import hash_key
from incidents.services.heartbeats import heartbeat_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/heartbeats/"


def test_a_manager_creates_a_monitor_and_gets_its_ping_url_once(api, manager, service, client):
    response = api(manager).post(URL, {"service": "checkout-api", "name": "nightly backup",
                                       "interval_seconds": 300, "grace_seconds": 60, "severity": "P2"},
                                 format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    monitor = HeartbeatMonitor.objects.get()
    assert monitor.key_hash == hash_key(body["key"])
    assert body["ping_url"].endswith(f"/integrations/heartbeat/{body['key']}/")
    assert (body["interval_seconds"], body["grace_seconds"], body["status"]) == (300, 60, "waiting")
    again = api(manager).get(f"{URL}{monitor.pk}/").json()
    assert "key" not in again and again["key_prefix"] == body["key"][:6]
    assert client.get(body["ping_url"].removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_pause_edit_rotate_and_delete(api, manager, service):
    monitor, key = heartbeat_create(user=None, service=service, name="job", interval=dt.timedelta(minutes=5))
    client = api(manager)
    paused = client.patch(f"{URL}{monitor.pk}/", {"paused": True, "interval_seconds": 600}, format="json")
    assert paused.status_code == 200 and paused.json()["paused"] and paused.json()["interval_seconds"] == 600
    rotated = client.post(f"{URL}{monitor.pk}/rotate-key/", {}, format="json").json()
    assert rotated["key"] != key
    assert client.delete(f"{URL}{monitor.pk}/").status_code == 204
    assert not HeartbeatMonitor.objects.exists()


def test_engineers_see_but_do_not_manage(api, engineer, service):
    monitor, _ = heartbeat_create(user=None, service=service, name="job", interval=dt.timedelta(minutes=5))
    client = api(engineer)
    assert [m["name"] for m in client.get(URL).json()["results"]] == ["job"]
    assert client.patch(f"{URL}{monitor.pk}/", {"paused": True}, format="json").status_code == 403
    assert client.post(URL, {"service": "checkout-api", "name": "x", "interval_seconds": 60},
                       format="json").status_code == 403


def test_other_teams_monitors_are_404(api, outsider, service):
    monitor, _ = heartbeat_create(user=None, service=service, name="job", interval=dt.timedelta(minutes=5))
    client = api(outsider)
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{monitor.pk}/").status_code == 404
    assert client.patch(f"{URL}{monitor.pk}/", {"paused": True}, format="json").status_code == 404
    assert client.post(f"{URL}{monitor.pk}/rotate-key/", {}, format="json").status_code == 404
    # Their services are not a choice either.
    response = client.post(URL, {"service": "checkout-api", "name": "x", "interval_seconds": 60}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "service"


@pytest.mark.parametrize("body, field", [
    ({"service": "checkout-api", "name": "x", "interval_seconds": 5}, "interval_seconds"),
    ({"service": "checkout-api", "name": "x", "interval_seconds": "soon"}, "interval_seconds"),
    ({"service": "checkout-api", "name": "", "interval_seconds": 60}, "name"),
    ({"service": "checkout-api", "name": "x", "interval_seconds": 60, "key_hash": "x"}, "key_hash"),
])
def test_bad_input_is_a_400_naming_the_field(api, manager, service, body, field):
    response = api(manager).post(URL, body, format="json")
    assert response.status_code == 400 and response.json()["field"] == field


def test_a_nul_byte_in_the_service_filter_is_a_400_not_a_500(api, engineer, service):
    response = api(engineer).get(URL, {"service": "checkout\x00api"})
    assert response.status_code == 400 and response.json()["field"] == "service"
