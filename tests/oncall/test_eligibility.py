"""The guide's eligibility requirements, and the messages that say which one is missing."""

import datetime as dt

import pytest

from config.errors import ApplicationError
from oncall.eligibility import assert_eligible, is_eligible, missing_requirements
from tests.factories.oncall import OnCallProfileFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 4)


def codes(user):
    return [m.code for m in missing_requirements(user, today=TODAY)]


def test_an_eligible_engineer_misses_nothing():
    user = OnCallProfileFactory(onboarded_on=TODAY - dt.timedelta(days=30)).user
    assert missing_requirements(user, today=TODAY) == [] and is_eligible(user, today=TODAY)


def test_onboarding_needs_thirty_days():
    user = OnCallProfileFactory(onboarded_on=TODAY - dt.timedelta(days=29)).user
    (missing,) = missing_requirements(user, today=TODAY)
    assert missing.code == "onboarding"
    assert missing.message == "was onboarded 29 days ago (on 2026-02-03); on-call needs 30+ days"


def test_an_unknown_onboarding_date_is_missing():
    user = OnCallProfileFactory(onboarded_on=None).user
    assert "no onboarding date" in missing_requirements(user, today=TODAY)[0].message


def test_two_shadow_shifts_are_needed():
    user = OnCallProfileFactory(shadow_shifts_completed=1).user
    (missing,) = missing_requirements(user, today=TODAY)
    assert missing.message == "has shadowed 1 of the 2 required on-call shifts"


def test_training_and_production_access_are_needed():
    user = OnCallProfileFactory(training_completed=False, production_access=False).user
    assert [m.message for m in missing_requirements(user, today=TODAY)] == [
        "has not completed incident-response training",
        "has no production access",
    ]


def test_without_a_profile_nothing_is_recorded():
    assert codes(UserFactory()) == ["profile"]


def test_the_error_names_the_person_and_every_missing_requirement():
    user = OnCallProfileFactory(
        user=UserFactory(first_name="Nora", last_name="New"), onboarded_on=TODAY, shadow_shifts_completed=0,
        training_completed=False, production_access=True,
    ).user
    with pytest.raises(ApplicationError) as caught:
        assert_eligible(user, today=TODAY)
    assert caught.value.message == (
        "Nora New cannot go on call: was onboarded 0 days ago (on 2026-03-04); on-call needs 30+ days; "
        "has shadowed 0 of the 2 required on-call shifts; has not completed incident-response training."
    )
    assert caught.value.extra == {"missing": ["onboarding", "shadow_shifts", "training"]}


def test_facts_are_read_afresh_not_from_a_cached_profile():
    profile = OnCallProfileFactory(training_completed=False)
    user = profile.user
    assert codes(user) == ["training"]
    type(profile).objects.filter(pk=profile.pk).update(training_completed=True)
    assert codes(user) == []
