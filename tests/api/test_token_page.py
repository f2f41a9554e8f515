"""The token page at /oncall/tokens/: a token is shown once, listed by its prefix only, and revocable."""

import pytest
from django.test import Client

from oncall.models import ApiToken
from oncall.services import api_token_create
from tests.factories.api import api_client
from tests.factories.oncall import PASSWORD

pytestmark = pytest.mark.django_db
PAGE = "/oncall/tokens/"


@pytest.fixture
def browser(engineer):
    client = Client()
    assert client.login(username=engineer.username, password=PASSWORD)
    return client


def test_the_page_needs_a_login(db):
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_creating_a_token_shows_it_once(browser, engineer):
    response = browser.post(PAGE, {"name": "Grafana"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = response.context["raw_token"]
    assert raw in response.content.decode()
    assert api_client(token=raw).get("/api/v1/teams/").status_code == 200

    again = browser.get(PAGE).content.decode()
    assert raw not in again
    assert "Grafana" in again
    assert ApiToken.objects.get(user=engineer).hint in again


def test_a_token_needs_a_name(browser):
    response = browser.post(PAGE, {"name": "  "})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_from_the_page_stops_the_token(browser, engineer):
    token, raw = api_token_create(user=engineer, name="old")

    response = browser.post(f"{PAGE}{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_client(token=raw).get("/api/v1/teams/").status_code == 401
    assert "Revoked" in browser.get(PAGE).content.decode()


def test_other_peoples_tokens_are_not_found(browser, engineer2):
    theirs, raw = api_token_create(user=engineer2, name="theirs")

    assert browser.post(f"{PAGE}{theirs.pk}/revoke/").status_code == 404
    assert "theirs" not in browser.get(PAGE).content.decode()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
