"""Personal API tokens: bearer authentication, hashed storage, revocation, and the 401s a script sees."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from oncall.models import ApiToken
from oncall.models.api_token import token_digest
from oncall.services import api_token_create, api_token_revoke
from tests.factories.api import api_client, api_token

pytestmark = pytest.mark.django_db
INCIDENTS = "/api/v1/incidents/"


def test_a_token_authenticates_its_owner(engineer, incident):
    response = api_client(engineer).get(INCIDENTS)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [incident.pk]


def test_only_a_digest_of_the_token_is_stored(engineer):
    token, raw = api_token_create(user=engineer, name="deploy script")

    stored = ApiToken.objects.values().get(pk=token.pk)
    assert raw.startswith(f"wk_{token.prefix}_")
    assert raw not in str(stored)
    assert stored["digest"] == token_digest(raw)
    assert len(raw) >= 59  # 256 random bits after the prefix


def test_a_revoked_token_gets_401_with_a_json_body(engineer):
    token, raw = api_token_create(user=engineer, name="old laptop")
    api_token_revoke(token=token, user=engineer)

    response = api_client(token=raw).get(INCIDENTS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API token.", "errors": {}}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer a b",
        "Bearer wk_0123456789ab_notthesecret",
        "Bearer wk_0123456789ab_" + "A" * 43,
        "bearer " + "x" * 500,
    ],
)
def test_a_malformed_or_unknown_token_gets_401_json(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(INCIDENTS)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_tampered_secret_with_a_real_prefix_gets_401(engineer):
    raw = api_token(engineer)
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")

    assert api_client(token=tampered).get(INCIDENTS).status_code == 401


def test_no_credentials_get_401_not_403(db):
    response = APIClient().get(INCIDENTS)

    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_an_inactive_users_tokens_stop_working(engineer):
    raw = api_token(engineer)
    engineer.is_active = False
    engineer.save()

    assert api_client(token=raw).get(INCIDENTS).status_code == 401


def test_someone_else_cannot_revoke_my_token(engineer, engineer2):
    from django.core.exceptions import PermissionDenied

    token, _ = api_token_create(user=engineer, name="mine")
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, user=engineer2)


def test_last_used_is_written_at_most_once_a_minute(engineer):
    token, raw = api_token_create(user=engineer, name="cron")
    client = api_client(token=raw)
    start = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.get("/api/v1/teams/")
        token.refresh_from_db()
        assert token.last_used_at == start

        clock.shift(dt.timedelta(seconds=30))
        client.get("/api/v1/teams/")
        token.refresh_from_db()
        assert token.last_used_at == start

        clock.shift(dt.timedelta(seconds=31))
        client.get("/api/v1/teams/")
        token.refresh_from_db()
        assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_session_login_works_for_reads_and_needs_csrf_for_writes(engineer, incident):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(engineer)

    assert client.get(f"{INCIDENTS}{incident.pk}/").status_code == 200
    response = client.post(f"{INCIDENTS}{incident.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_create_api_token_command_prints_the_token_once(engineer):
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_token", "erin", "--name", "ci", stdout=out, stderr=err)

    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=engineer)
    assert token.name == "ci"
    assert token.digest == token_digest(raw)
    assert "cannot be shown again" in err.getvalue()
    assert api_client(token=raw).get(INCIDENTS).status_code == 200


def test_create_api_token_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("create_api_token", "nobody")
