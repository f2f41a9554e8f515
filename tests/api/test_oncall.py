"""On-call API: rotations and their computed shifts, who is on call, overrides, swaps, escalation policies.

Payments (Berlin) hands off Mondays 09:00 local; "now" is 2026-03-04, Pia's primary week and Sara's secondary.
Primary shifts ahead: 03-09 Paul, 03-16 Petra, 03-23 Pete, 03-30 Pia.
"""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall.models import Override, OverrideSource, RotationKind, SwapState, TeamRole
from oncall.schedule import on_call, shifts
from oncall.selectors import on_call_for_teams
from oncall.services import override_create, swap_request_accept, swap_request_create
from tests.factories import TeamFactory
from tests.factories.api import api_client
from tests.factories.oncall import BlackoutFactory, member, responder, rotation_with
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db
PAUL_START, PAUL_END = utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)


@pytest.fixture
def elsewhere(other_team, now):
    """Search (New York) with a primary rotation of its own."""
    people = [responder(other_team, username=f"s{i}") for i in range(4)]
    return rotation_with(other_team, people, kind=RotationKind.PRIMARY, name="Search primary")


def names(users) -> list[str]:
    return [u["username"] for u in users]


def test_rotations_list_my_teams_with_members_in_order(people, primary, secondary, elsewhere):
    body = api_client(people["pia"]).get("/api/v1/rotations/").json()

    assert [r["name"] for r in body["results"]] == ["Primary", "Secondary"]
    assert names(m["user"] for m in body["results"][0]["members"]) == ["pia", "paul", "petra", "pete"]
    assert body["results"][0]["shift_length"] == "P7DT00H00M00S"


def test_another_teams_rotation_is_404(people, elsewhere):
    client = api_client(people["pia"])

    assert client.get(f"/api/v1/rotations/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/api/v1/rotations/{elsewhere.pk}/shifts/").status_code == 404


def test_shifts_in_a_window_are_the_schedules(people, primary):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 10), end=utc(2026, 3, 11))

    response = api_client(people["pia"]).get(
        f"/api/v1/rotations/{primary.pk}/shifts/", {"start": "2026-03-05T00:00:00Z", "end": "2026-03-17T00:00:00Z"}
    )

    assert response.status_code == 200
    body = response.json()
    expected = shifts(primary, utc(2026, 3, 5), utc(2026, 3, 17))
    assert [s["user"]["username"] for s in body] == [s.user.username for s in expected] == ["pia", "paul", "petra"]
    assert body[1]["start"] == "2026-03-09T08:00:00Z"
    assert body[1]["conflicts"] == [
        {"start": "2026-03-10T00:00:00Z", "end": "2026-03-11T00:00:00Z", "reason": "vacation"}
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-03-10T00:00:00Z", "end": "2026-03-09T00:00:00Z"},
        {"start": "2026-01-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"},
        {"start": "next tuesday"},
        {"start": "9999-12-31T23:59:59Z"},
        {"end": "0001-01-01T00:00:00+14:00"},
    ],
)
def test_a_bad_shift_window_is_400(people, primary, query):
    response = api_client(people["pia"]).get(f"/api/v1/rotations/{primary.pk}/shifts/", query)

    assert response.status_code == 400
    assert response.json()["errors"]


def test_who_is_on_call_now(people, primary, secondary, elsewhere):
    response = api_client(people["pia"]).get("/api/v1/oncall/", {"team": "payments"})

    assert response.status_code == 200
    [payments] = response.json()
    assert payments["primary"]["user"]["username"] == "pia"
    assert payments["secondary"]["user"]["username"] == "sara"
    assert payments["primary"]["shift"]["start"] == "2026-03-02T08:00:00Z"


def test_who_is_on_call_at_a_time_with_an_override(people, primary, secondary, mona):
    override_create(rotation=primary, user=people["petra"], start=utc(2026, 3, 10), end=utc(2026, 3, 11),
                    created_by=mona)

    [payments] = api_client(people["pia"]).get("/api/v1/oncall/", {"at": "2026-03-10T12:00:00+01:00"}).json()

    assert payments["primary"]["user"]["username"] == "petra"
    assert payments["primary"]["shift"]["source"] == "override"
    assert payments["secondary"]["user"]["username"] == "sven"


def test_who_is_on_call_covers_only_my_teams_and_404s_for_others(people, primary, elsewhere):
    client = api_client(people["pia"])

    assert [t["team"] for t in client.get("/api/v1/oncall/").json()] == ["payments"]
    assert client.get("/api/v1/oncall/", {"team": "search"}).status_code == 404


OVERRIDE_CASES = {
    "none": [],
    "inside a shift": [(utc(2026, 3, 10), utc(2026, 3, 11))],
    "across a hand-off": [(utc(2026, 3, 8), utc(2026, 3, 10))],
    "long, cut by a later one": [(utc(2026, 3, 1), utc(2026, 4, 20)), (utc(2026, 4, 10), utc(2026, 4, 12))],
    "chained beyond the shift": [(utc(2026, 3, 9, 12), utc(2026, 3, 20)), (utc(2026, 3, 19), utc(2026, 3, 28))],
}


@pytest.mark.parametrize("case", OVERRIDE_CASES)
@pytest.mark.parametrize("at", [utc(2026, 3, 4, 12), utc(2026, 3, 9, 9), utc(2026, 3, 15), utc(2026, 3, 19, 12)])
def test_the_bulk_on_call_agrees_with_schedule_on_call(people, primary, secondary, mona, case, at):
    for i, (start, end) in enumerate(OVERRIDE_CASES[case]):
        Override.objects.create(rotation=primary, user=people[["petra", "pete"][i % 2]], start=start, end=end,
                                created_by=mona, source=OverrideSource.MANUAL)
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 9), end=utc(2026, 3, 12))

    [(team, bulk)] = on_call_for_teams([primary.team], at)

    assert bulk == on_call(primary.team, at)


def test_who_is_on_call_runs_the_same_queries_for_one_team_or_five(people, primary, secondary):
    client = api_client(people["pia"])
    client.get("/api/v1/teams/")  # the token's last-use stamp is written once a minute: not in the counts
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/oncall/").status_code == 200
    for i in range(4):
        team = TeamFactory(name=f"Team {i}", slug=f"team-{i}")
        team_members = [responder(team, username=f"t{i}-{n}") for n in range(2)]
        rotation_with(team, team_members, kind=RotationKind.PRIMARY, name="Primary")
        rotation_with(team, team_members[::-1], kind=RotationKind.SECONDARY, name="Secondary")
        member(team, TeamRole.ENGINEER, username="pia")
    with CaptureQueriesContext(connection) as five:
        body = client.get("/api/v1/oncall/").json()
    assert len(body) == 5
    assert len(five) == len(one)


def test_a_manager_sets_an_override(people, primary, mona):
    response = api_client(mona).post(
        "/api/v1/overrides/",
        {"rotation": primary.pk, "user": "petra", "start": "2026-03-10T00:00:00Z", "end": "2026-03-11T00:00:00Z",
         "reason": "Pia at the dentist"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["user"]["username"] == "petra"
    assert response.json()["created_by"]["username"] == "mona"
    listed = api_client(people["pia"]).get("/api/v1/overrides/", {"user": "petra"}).json()["results"]
    assert [o["id"] for o in listed] == [response.json()["id"]]


def test_engineers_cannot_set_overrides(people, primary):
    response = api_client(people["pia"]).post(
        "/api/v1/overrides/",
        {"rotation": primary.pk, "user": "petra", "start": "2026-03-10T00:00:00Z", "end": "2026-03-11T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 403
    assert not Override.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user": "petra", "start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}, "end"),
        ({"user": "petra", "start": "2026-03-11T00:00:00Z", "end": "2026-03-10T00:00:00Z"}, "end"),
        ({"user": "ghost", "start": "2026-03-10T00:00:00Z", "end": "2026-03-11T00:00:00Z"}, "user"),
        ({"user": "petra", "start": "2026-03-10", "end": "soon"}, "end"),
    ],
)
def test_override_errors(primary, mona, body, field):
    response = api_client(mona).post("/api/v1/overrides/", {"rotation": primary.pk, **body}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_another_teams_rotation_cannot_be_overridden(mona, elsewhere):
    response = api_client(mona).post(
        "/api/v1/overrides/",
        {"rotation": elsewhere.pk, "user": "s1", "start": "2026-03-10T00:00:00Z", "end": "2026-03-11T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "rotation"


def test_a_swap_from_offer_to_approval(people, primary, mona):
    paul, petra = api_client(people["paul"]), api_client(people["petra"])

    offered = paul.post(
        "/api/v1/swap-requests/",
        {"rotation": primary.pk, "start": PAUL_START.isoformat(), "end": PAUL_END.isoformat(), "offered_to": "petra",
         "note": "Family wedding"},
        format="json",
    )
    assert offered.status_code == 201, offered.content
    swap_id = offered.json()["id"]
    accepted = petra.post(f"/api/v1/swap-requests/{swap_id}/accept/", {"note": "Happy to"}, format="json")
    approved = api_client(mona).post(f"/api/v1/swap-requests/{swap_id}/approve/", {}, format="json")

    assert (accepted.status_code, approved.status_code) == (200, 200)
    assert approved.json()["state"] == SwapState.APPROVED
    assert approved.json()["decided_by"]["username"] == "mona"
    [payments] = paul.get("/api/v1/oncall/", {"at": "2026-03-10T12:00:00Z"}).json()
    assert payments["primary"]["user"]["username"] == "petra"


def test_swap_conflicts_and_permissions(people, primary, mona):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END)
    swap_request_accept(swap=swap, user=people["petra"])
    url = f"/api/v1/swap-requests/{swap.pk}"

    assert api_client(people["pete"]).post(f"{url}/accept/", {}, format="json").status_code == 409
    assert api_client(people["pete"]).post(f"{url}/cancel/", {}, format="json").status_code == 403
    assert api_client(people["petra"]).post(f"{url}/approve/", {}, format="json").status_code == 403
    assert api_client(mona).post(f"{url}/decline/", {"note": "Not that week"}, format="json").status_code == 200
    assert api_client(people["paul"]).post(f"{url}/cancel/", {}, format="json").status_code == 409


def test_offering_time_that_is_not_mine_is_400(people, primary):
    response = api_client(people["pia"]).post(
        "/api/v1/swap-requests/",
        {"rotation": primary.pk, "start": PAUL_START.isoformat(), "end": PAUL_END.isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "start"


def test_swap_requests_are_listed_for_the_team_and_filtered(people, primary, elsewhere):
    swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END)
    client = api_client(people["sara"])

    assert len(client.get("/api/v1/swap-requests/").json()["results"]) == 1
    assert client.get("/api/v1/swap-requests/", {"state": "approved"}).json()["results"] == []
    assert api_client(elsewhere.rotation_members.first().user).get("/api/v1/swap-requests/").json()["results"] == []


def test_escalation_policies_are_the_teams(people, other_team):
    body = api_client(people["pia"]).get("/api/v1/escalation-policies/").json()

    [policy] = body["results"]
    assert policy["team"] == "payments"
    assert [level["target_kind"] for level in policy["levels"]] == [
        "primary", "secondary", "team_role", "team_role", "leadership"
    ]
    assert policy["levels"][1]["delay"] == "P0DT00H05M00S"
    other = other_team.escalation_policies.get()
    assert api_client(people["pia"]).get(f"/api/v1/escalation-policies/{other.pk}/").status_code == 404
