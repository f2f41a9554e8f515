import datetime as dt

import factory
from django.utils import timezone

from incidents.services import incident_resolve
from postmortems.models import ActionItem, ContributingFactor, FishboneCategory, PostMortem, Why
from postmortems.services import postmortem_create, postmortem_publish, postmortem_submit
from tests.factories.incidents import IncidentFactory


def resolved_incident(*, user, **incident_fields):
    """An incident walked to resolved through the services (P2 unless told otherwise)."""
    incident_fields.setdefault("severity", "P2")
    return incident_resolve(incident=IncidentFactory(**incident_fields), user=user)


def draft_for(incident, *, resolver=None, **fields) -> PostMortem:
    """The post-mortem draft the resolve signal would create, with `fields` written straight in."""
    postmortem, _ = postmortem_create(incident=incident, automatic=True, resolver=resolver)
    if postmortem is None:  # P3/P4: what starting it by hand makes
        postmortem, _ = postmortem_create(incident=incident, user=resolver)
    if fields:
        PostMortem.objects.filter(pk=postmortem.pk).update(**fields)
        postmortem.refresh_from_db()
    return postmortem


class WhyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Why

    position = factory.Sequence(lambda n: n + 1)
    question = "Why did checkout return 503?"
    answer = "The connection pool was exhausted."


class FactorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContributingFactor

    category = FishboneCategory.MATERIALS
    title = "Configuration change"
    description = "Deploy 42 raised the connection timeout from 5s to 60s."


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    title = factory.Sequence(lambda n: f"Add connection pool alerting {n}")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))


def complete(postmortem: PostMortem, *, owner) -> PostMortem:
    """Fill in what publishing needs: summary, root cause, a why and an owned, dated action item."""
    PostMortem.objects.filter(pk=postmortem.pk).update(
        executive_summary="Checkout failed for 20 minutes after deploy 42.",
        root_cause="An unreviewed timeout change exhausted the connection pool.",
    )
    WhyFactory(postmortem=postmortem, position=1)
    ActionItemFactory(postmortem=postmortem, owner=owner)
    postmortem.refresh_from_db()
    return postmortem


def published(postmortem: PostMortem, *, user) -> PostMortem:
    """Complete the post-mortem, submit and publish it as `user` (its owner or a manager)."""
    complete(postmortem, owner=user)
    postmortem_submit(postmortem=postmortem, user=user)
    return postmortem_publish(postmortem=postmortem, user=user)
