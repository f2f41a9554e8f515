"""Profiles, overrides, blackouts and escalation policies in the admin, and the default policy new teams get."""

import datetime as dt

import pytest
from django.urls import reverse

from oncall.models import Blackout, EscalationLevel, EscalationPolicy, OnCallProfile, Override, Team
from oncall.services import DEFAULT_POLICY_NAME, oncall_profile_set
from tests.factories.oncall import TeamFactory, member, responder
from tests.html_forms import form_data
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def mona_client(client, mona):
    client.force_login(mona)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- profiles -----------------------------------------------------------------------------------


def test_profiles_show_eligibility_with_what_is_missing(mona_client, team, people):
    ida = responder(team, username="ida", first_name="Ida", last_name="Almost")
    oncall_profile_set(user=ida, shadow_shifts_completed=1, production_access=False)
    profile = OnCallProfile.objects.get(user=ida)

    listing = mona_client.get(reverse("admin:oncall_oncallprofile_changelist")).content.decode()
    assert "has shadowed 1 of the 2 required on-call shifts; has no production access" in listing

    page = mona_client.get(reverse("admin:oncall_oncallprofile_change", args=[profile.pk])).content.decode()
    assert "Ida Almost cannot go on call" in page and "has no production access" in page

    pia = OnCallProfile.objects.get(user=people["pia"])
    page = mona_client.get(reverse("admin:oncall_oncallprofile_change", args=[pia.pk])).content.decode()
    assert "Pia Payments may go on call." in page


def test_a_manager_fixes_a_profile_through_the_service_but_not_leadership(mona_client, team):
    ida = responder(team, username="ida", first_name="Ida", last_name="Almost")
    oncall_profile_set(user=ida, production_access=False)
    profile = OnCallProfile.objects.get(user=ida)
    url = reverse("admin:oncall_oncallprofile_change", args=[profile.pk])
    data = form_data(mona_client.get(url).content, "oncallprofile_form")
    assert "is_leadership" not in data  # read-only for team managers
    data.update({"production_access": "on", "time_zone": "Europe/Berlin"})

    assert mona_client.post(url, data).status_code == 302

    profile.refresh_from_db()
    assert profile.production_access and profile.time_zone == "Europe/Berlin"

    data["time_zone"] = "Mars/Olympus"
    response = mona_client.post(url, data)
    assert response.status_code == 200 and "not a known IANA time zone" in response.content.decode()


def test_a_manager_adds_a_profile_for_a_team_member(mona_client, team, now):
    newcomer = member(team, username="nina", first_name="Nina", last_name="New")
    url = reverse("admin:oncall_oncallprofile_add")
    page = mona_client.get(url)
    assert newcomer in page.context["adminform"].form.fields["user"].queryset
    data = form_data(page.content, "oncallprofile_form")
    data.update({"user": str(newcomer.pk), "onboarded_on": "2026-03-01", "time_zone": "UTC",
                 "shadow_shifts_completed": "0"})

    assert mona_client.post(url, data).status_code == 302
    assert OnCallProfile.objects.get(user=newcomer).onboarded_on == dt.date(2026, 3, 1)


# --- overrides and blackouts --------------------------------------------------------------------


def override_data(rotation, user, start, end):
    return {"rotation": rotation.pk, "user": user.pk, "start_0": start.strftime("%Y-%m-%d"),
            "start_1": start.strftime("%H:%M:%S"), "end_0": end.strftime("%Y-%m-%d"),
            "end_1": end.strftime("%H:%M:%S"), "reason": "Covering"}


def test_an_override_is_created_through_the_service(mona_client, primary, secondary, people):
    data = override_data(primary, people["sara"], utc(2026, 3, 10), utc(2026, 3, 11))

    assert mona_client.post(reverse("admin:oncall_override_add"), data).status_code == 302

    override = Override.objects.get()
    assert (override.user, override.created_by, override.source) == (people["sara"], people["mona"], "manual")
    page = mona_client.get(reverse("admin:oncall_override_change", args=[override.pk]))
    assert 'name="_save"' not in page.content.decode()  # overrides are deleted and re-made, not edited


def test_an_override_for_someone_who_cannot_cover_shows_why(mona_client, team, primary, secondary, people):
    ida = responder(team, username="ida", first_name="Ida", last_name="Almost")
    oncall_profile_set(user=ida, training_completed=False)

    double = mona_client.post(reverse("admin:oncall_override_add"),
                              override_data(primary, people["sven"], utc(2026, 3, 10), utc(2026, 3, 11)))
    ineligible = mona_client.post(reverse("admin:oncall_override_add"),
                                  override_data(primary, ida, utc(2026, 3, 10), utc(2026, 3, 11)))

    assert "nobody is primary and secondary at once" in double.content.decode()
    assert "Ida Almost has not completed incident-response training" in ineligible.content.decode()
    assert not Override.objects.exists()


def test_a_blackout_for_a_team_member(mona_client, people):
    url = reverse("admin:oncall_blackout_add")
    data = {"user": people["paul"].pk, "start_0": "2026-03-10", "start_1": "00:00:00", "end_0": "2026-03-12",
            "end_1": "00:00:00", "reason": "vacation", "note": "Skiing"}

    assert mona_client.post(url, data).status_code == 302
    blackout = Blackout.objects.get(user=people["paul"])
    assert (blackout.start, blackout.end, blackout.note) == (utc(2026, 3, 10), utc(2026, 3, 12), "Skiing")

    data.update({"end_0": "2026-03-09"})
    response = mona_client.post(url, data)
    assert response.status_code == 200 and Blackout.objects.count() == 1


# --- escalation policies ------------------------------------------------------------------------


def test_a_new_team_gets_the_guides_default_policy(admin_client):
    url = reverse("admin:oncall_team_add")
    data = form_data(admin_client.get(url).content, "team_form")
    data.update({"name": "Platform", "slug": "platform", "time_zone": "Asia/Tokyo"})

    assert admin_client.post(url, data).status_code == 302

    policy = EscalationPolicy.objects.get(team=Team.objects.get(slug="platform"))
    assert (policy.name, policy.is_default) == (DEFAULT_POLICY_NAME, True)
    assert list(policy.levels.order_by("position").values_list("target_kind", "only_severities")) == [
        ("primary", []), ("secondary", []), ("team_role", []), ("team_role", []), ("leadership", ["P1"]),
    ]


def test_only_creating_a_team_seeds_a_policy(db):
    team = TeamFactory(slug="ops", name="Ops")
    EscalationPolicy.objects.filter(team=team).delete()
    team.name = "Operations"
    team.save()
    assert not EscalationPolicy.objects.filter(team=team).exists()


def test_a_manager_edits_the_policy_levels_inline(mona_client, team, primary):
    policy = EscalationPolicy.objects.get(team=team)
    url = reverse("admin:oncall_escalationpolicy_change", args=[policy.pk])
    data = form_data(mona_client.get(url).content, "escalationpolicy_form")
    second = next(k for k, v in data.items() if k.startswith("levels-") and k.endswith("-position") and v == "2")
    data[second.replace("-position", "-delay")] = "00:10:00"

    assert mona_client.post(url, data).status_code == 302
    assert policy.levels.get(position=2).delay == dt.timedelta(minutes=10)
    assert EscalationLevel.objects.filter(policy=policy).count() == 5
