"""GET /api/v1/alert-hygiene/: the weekly review's figures for the caller's teams (hand-computed in
tests/metrics/test_hygiene.py); other teams 404, bad weeks 400."""

import pytest

from tests.metrics.test_hygiene import hygiene_world  # noqa: F401  (the hand-computed week)

pytestmark = pytest.mark.django_db

URL = "/api/v1/alert-hygiene/"


def test_the_weeks_figures_for_my_team(api, engineer, hygiene_world):  # noqa: F811
    body = api(engineer).get(URL, {"week": "2026-W11", "team": "payments"}).json()
    assert body["week"] == "2026-W11" and body["since"].startswith("2026-03-09T00:00:00")
    prom = next(row for row in body["integrations"] if row["name"] == "Prometheus")
    assert (prom["alerts"], prom["incidents"], prom["false_alarms"], prom["false_positive_share"], prom["noisy"],
            prom["after_hours_pages"], prom["flagged"]) == (22, 5, 2, 0.4, 1, 6, True)
    assert [f["code"] for f in prom["flags"]] == ["alerts", "false_positives", "after_hours"]
    assert {row["name"] for row in body["services"]} == {"Checkout API", "Payments DB"}
    assert body["top_sources"][0]["source"] == "web-1"


def test_other_teams_are_404_and_bad_weeks_400(api, engineer, outsider, hygiene_world):  # noqa: F811
    assert api(engineer).get(URL, {"team": "search"}).status_code == 404
    bad = api(engineer).get(URL, {"week": "someday"})
    assert bad.status_code == 400 and bad.json()["field"] == "week"
    mine = api(outsider).get(URL, {"week": "2026-W11"}).json()
    assert [row["name"] for row in mine["integrations"]] == ["Search alerts"]


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01"])
def test_a_week_out_of_range_is_a_400_not_a_500(api, engineer, week):
    # An ISO week near the year 9999 used to overflow computing the week's end.
    bad = api(engineer).get(URL, {"week": week})
    assert bad.status_code == 400 and bad.json()["field"] == "week"
