"""The team schedule page: who is on call now, the published six weeks, conflicts and sources, and the
manager's conflict resolution. Only the team's members see it; everyone else gets a 404."""

import pytest
from django.urls import reverse

from oncall.models import Override, TeamRole
from oncall.services import swap_request_accept, swap_request_approve, swap_request_create
from tests.factories.oncall import BlackoutFactory, member
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db
URL = reverse("oncall:team_schedule", kwargs={"slug": "payments"})
PAUL_SHIFT = utc(2026, 3, 9, 8)


def as_user(client, user):
    client.force_login(user)
    return client


def rows_of(response, rotation):
    return next(item["rows"] for item in response.context["rotations"] if item["rotation"] == rotation)


def test_the_schedule_needs_a_login(client, team):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_members_of_any_role_see_who_is_on_call_and_six_weeks_ahead(client, team, primary, secondary, people):
    stakeholder = member(team, TeamRole.STAKEHOLDER, username="sam", first_name="Sam", last_name="Stake")

    response = as_user(client, stakeholder).get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["now"].primary == people["pia"] and response.context["now"].secondary == people["sara"]
    assert 'data-now="primary">Pia Payments<' in html and 'data-now="secondary">Sara Payments<' in html
    rows = rows_of(response, primary)
    assert [r.user.username for r in rows] == ["pia", "paul", "petra", "pete", "pia", "paul", "petra"]
    assert rows[0].is_now and not rows[1].is_now
    assert "Mon 9 Mar, 09:00" in html  # hand-offs in the team's time zone (Berlin)
    assert reverse("oncall:calendar_rotation", kwargs={"token": primary.calendar_token}) in html
    assert "Resolve:" not in html


def test_another_teams_schedule_is_not_found(client, team, primary, outsider, other_team):
    assert as_user(client, outsider).get(URL).status_code == 404
    assert client.get(reverse("oncall:team_schedule", kwargs={"slug": "search"})).status_code == 200
    assert client.get(reverse("oncall:team_schedule", kwargs={"slug": "nope"})).status_code == 404


def test_conflicts_are_highlighted_and_overrides_and_swaps_marked(client, team, primary, secondary, people, mona):
    BlackoutFactory(user=people["petra"], start=utc(2026, 3, 17), end=utc(2026, 3, 18))
    Override.objects.create(rotation=primary, user=people["sara"], start=utc(2026, 3, 25), end=utc(2026, 3, 26),
                            reason="Dentist")
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_SHIFT, end=utc(2026, 3, 16, 8))
    swap_request_accept(swap=swap, user=people["pete"])
    swap_request_approve(swap=swap, user=mona)

    response = as_user(client, people["pia"]).get(URL)

    rows = rows_of(response, primary)
    by_start = {r.start: r for r in rows}
    assert by_start[PAUL_SHIFT].user == people["pete"] and by_start[PAUL_SHIFT].source == "swap"
    assert by_start[utc(2026, 3, 16, 8)].has_conflict
    assert [r.source for r in rows if r.user == people["sara"]] == ["override"]
    html = response.content.decode()
    assert f"Swap #{swap.pk}</a>" in html and reverse("oncall:swap_detail", kwargs={"pk": swap.pk}) in html
    assert 'class="src src-override" title="Dentist"' in html
    assert html.count('class="shift conflict"') == 1
    assert "⚠ Vacation: Tue 17 Mar 01:00 – Wed 18 Mar 01:00" in html  # Berlin time


def test_managers_and_leads_resolve_a_conflict_from_the_schedule(client, team, primary, people):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 10), end=utc(2026, 3, 12))
    resolve = reverse("oncall:conflict_resolve", kwargs={"slug": "payments", "rotation_pk": primary.pk})

    page = as_user(client, people["lena"]).get(URL)
    assert "Resolve: Petra Payments covers" in page.content.decode()

    response = client.post(resolve, {"shift_start": PAUL_SHIFT.isoformat()}, follow=True)

    override = Override.objects.get()
    assert (override.user, override.start, override.end, override.created_by) == (
        people["petra"], utc(2026, 3, 10), utc(2026, 3, 12), people["lena"]
    )
    assert any("Petra Payments now covers Primary" in str(m) for m in response.context["messages"])
    assert response.redirect_chain[-1][0] == f"{URL}#rotation-{primary.pk}"


def test_an_engineer_cannot_resolve_conflicts(client, team, primary, people):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 10), end=utc(2026, 3, 12))
    resolve = reverse("oncall:conflict_resolve", kwargs={"slug": "payments", "rotation_pk": primary.pk})

    response = as_user(client, people["pete"]).post(resolve, {"shift_start": PAUL_SHIFT.isoformat()})

    assert response.status_code == 403
    assert not Override.objects.exists()


def test_resolving_without_a_conflict_says_so(client, team, primary, mona):
    resolve = reverse("oncall:conflict_resolve", kwargs={"slug": "payments", "rotation_pk": primary.pk})
    response = as_user(client, mona).post(resolve, {"shift_start": PAUL_SHIFT.isoformat()}, follow=True)
    assert any("has no conflict" in str(m) for m in response.context["messages"])


def test_an_outsider_cannot_resolve_another_teams_conflict(client, team, primary, outsider):
    resolve = reverse("oncall:conflict_resolve", kwargs={"slug": "payments", "rotation_pk": primary.pk})
    assert as_user(client, outsider).post(resolve, {"shift_start": PAUL_SHIFT.isoformat()}).status_code == 404


def test_a_team_without_rotations(client, team, mona, now):
    response = as_user(client, mona).get(URL)
    assert response.status_code == 200 and "has no rotations yet" in response.content.decode()
