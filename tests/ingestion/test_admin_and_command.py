"""Integrations in the admin (managers of the service's team; the key shown once, rotatable) and
`manage.py create_integration`."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from incidents.ingestion.services import integration_create
from incidents.models import Integration
from incidents.models.integration import hash_key
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:incidents_integration_changelist"
KEY_PATTERN = re.compile(r'<code class="integration-key">([A-Za-z0-9]{32})</code>')


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_a_manager_adds_an_integration_and_sees_its_key_once(manager_client, service):
    add_url = reverse("admin:incidents_integration_add")
    data = form_data(manager_client.get(add_url).content, "integration_form")
    data.update(service=str(service.pk), name="Prometheus (prod)", kind="alertmanager")
    response = manager_client.post(add_url, data)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    key = KEY_PATTERN.search(page)[1]
    integration = Integration.objects.get()
    assert integration.key_hash == hash_key(key)
    assert (integration.service, integration.kind, integration.rate_limit_per_minute) == (service, "alertmanager", 6000)
    assert "http://127.0.0.1:8000/integrations/alertmanager/" in page
    assert "shown only this once" in page
    # Nowhere afterwards: not on the change page, not in the list.
    for url in (reverse("admin:incidents_integration_change", args=[integration.pk]), reverse(CHANGELIST)):
        assert key not in manager_client.get(url).content.decode()


def test_the_change_page_edits_settings_and_shows_traffic(manager_client, service):
    integration, key = integration_create(user=None, service=service, name="Datadog", kind="events_v2")
    url = reverse("admin:incidents_integration_change", args=[integration.pk])
    response = manager_client.get(url)
    page = response.content.decode()
    assert "Events received" in page and "Alerts stored in the last 24 h" in page and key[:6] in page
    data = form_data(response.content, "integration_form")
    data.update(rate_limit_per_minute="120", severity_mapping='{"critical": "P1", "error": "P1"}')
    assert manager_client.post(url, data).status_code == 302
    integration.refresh_from_db()
    assert integration.rate_limit_per_minute == 120
    assert integration.severity_mapping == {"critical": "P1", "error": "P1"}
    assert integration.key_hash == hash_key(key)  # editing never changes the key


def test_a_bad_severity_mapping_is_a_form_error(manager_client, service):
    integration, _ = integration_create(user=None, service=service, name="Datadog", kind="events_v2")
    url = reverse("admin:incidents_integration_change", args=[integration.pk])
    data = form_data(manager_client.get(url).content, "integration_form")
    data.update(severity_mapping='{"critical": "SEV1"}')
    response = manager_client.post(url, data)
    assert response.status_code == 200
    assert "Map to one of P1, P2, P3, P4; not SEV1." in response.content.decode()


def test_rotating_keys_shows_the_new_ones(manager_client, service):
    integration, old = integration_create(user=None, service=service, name="Datadog", kind="events_v2")
    response = manager_client.post(
        reverse(CHANGELIST), {"action": "rotate_keys", "_selected_action": [str(integration.pk)]}
    )
    assert response.status_code == 200
    new = KEY_PATTERN.search(response.content.decode())[1]
    integration.refresh_from_db()
    assert new != old and integration.key_hash == hash_key(new) and integration.key_rotated_at is not None


def test_managers_see_only_their_teams_integrations(client, manager, service, other_service):
    mine, _ = integration_create(user=None, service=service, name="Mine", kind="events_v2")
    theirs, _ = integration_create(user=None, service=other_service, name="Theirs", kind="events_v2")
    client.force_login(manager)
    response = client.get(reverse(CHANGELIST))
    assert list(response.context["cl"].result_list) == [mine]
    assert client.get(reverse("admin:incidents_integration_change", args=[theirs.pk])).status_code == 302
    add = client.get(reverse("admin:incidents_integration_add"))
    services = [choice for choice, _ in add.context["adminform"].form.fields["service"].choices if choice]
    assert [str(choice) for choice in services] == [str(service.pk)]


def test_engineers_do_not_manage_integrations(client, engineer, service):
    engineer.is_staff = True
    engineer.save()
    client.force_login(engineer)
    assert client.get(reverse(CHANGELIST)).status_code == 403


# --- the command


def test_create_integration_prints_the_key_and_the_url(service):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_integration", "checkout-api", "--kind", "events_v2", stdout=out, stderr=err)
    text = out.getvalue()
    key = re.search(r"key: ([A-Za-z0-9]{32})", text)[1]
    assert "url: http://127.0.0.1:8000/integrations/v2/enqueue" in text
    assert "base URL: http://127.0.0.1:8000/integrations)" in text
    assert "cannot be shown again" in err.getvalue()
    integration = Integration.objects.get()
    assert (integration.kind, integration.service, integration.key_hash) == ("events_v2", service, hash_key(key))


def test_create_integration_for_alertmanager_prints_both_urls(service):
    out = io.StringIO()
    call_command("create_integration", "checkout-api", "--kind", "alertmanager", "--name", "Prometheus",
                 "--rate-limit", "0", stdout=out, stderr=io.StringIO())
    key = re.search(r"key: ([A-Za-z0-9]{32})", out.getvalue())[1]
    assert "url: http://127.0.0.1:8000/integrations/alertmanager/  (with the header" in out.getvalue()
    assert f"http://127.0.0.1:8000/integrations/alertmanager/{key}/" in out.getvalue()
    assert Integration.objects.get().rate_limit_per_minute == 0


def test_create_integration_for_an_unknown_service(db):
    with pytest.raises(CommandError, match="No service with the slug “nope”"):
        call_command("create_integration", "nope", "--kind", "events_v2", stdout=io.StringIO())


def test_managers_read_their_teams_alerts(client, manager, service, other_service):
    from incidents.ingestion import events_v2, keys
    from incidents.ingestion.services import event_v2_ingest
    from incidents.models import Alert

    for svc, dedup in ((service, "mine"), (other_service, "theirs")):
        integration, key = integration_create(user=None, service=svc, name=dedup, kind="events_v2")
        event = events_v2.parse({"routing_key": key, "event_action": "trigger", "dedup_key": dedup,
                                 "payload": {"summary": dedup, "source": "h", "severity": "info"}})
        event_v2_ingest(integration=keys.integration_for_key(key), event=event)
    client.force_login(manager)
    response = client.get(reverse("admin:incidents_alert_changelist"))
    assert [a.dedup_key for a in response.context["cl"].result_list] == ["mine"]
    mine = Alert.objects.get(dedup_key="mine")
    page = client.get(reverse("admin:incidents_alert_change", args=[mine.pk]))
    assert page.status_code == 200 and "Save" not in page.content.decode()


def _stored_alert(service, name="db1"):
    from incidents.ingestion import events_v2, keys
    from incidents.ingestion.services import event_v2_ingest
    from incidents.models import Alert

    integration, key = integration_create(user=None, service=service, name=name, kind="events_v2")
    event = events_v2.parse({"routing_key": key, "event_action": "trigger", "dedup_key": name,
                             "payload": {"summary": name, "source": "h", "severity": "info"}})
    event_v2_ingest(integration=keys.integration_for_key(key), event=event)
    return integration, Alert.objects.get(dedup_key=name)


def test_deleting_an_integration_keeps_its_alerts_and_a_service_with_alerts_is_protected(service):
    # Alert.service carries no database constraint (storm cost): the ORM's PROTECT still holds.
    from django.db.models import ProtectedError

    from incidents.models import Alert

    integration, alert = _stored_alert(service)
    integration.delete()
    alert.refresh_from_db()
    assert alert.integration_id is None and alert.incident_id is not None
    with pytest.raises(ProtectedError):
        service.delete()
    assert Alert.objects.filter(pk=alert.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_for_an_integration_deleted_elsewhere_is_refused_not_stored(service):
    # Another process still has the deleted integration's key cached: the database refuses the alert rather than
    # store it pointing at nothing.
    from django.db import IntegrityError

    from incidents.ingestion import events_v2, keys
    from incidents.ingestion.services import event_v2_ingest
    from incidents.models import Alert

    integration, key = integration_create(user=None, service=service, name="db1", kind="events_v2")
    stale = keys.integration_for_key(key)
    event = events_v2.parse({"routing_key": key, "event_action": "trigger", "dedup_key": "db1",
                             "payload": {"summary": "db1", "source": "h", "severity": "info"}})
    event_v2_ingest(integration=stale, event=event)
    integration.delete()

    with pytest.raises(IntegrityError):
        event_v2_ingest(integration=stale, event=event)
    assert Alert.objects.count() == 1
