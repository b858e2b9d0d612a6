from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from audit.actors import saved_by
from members.tests.factories import ClassificationFactory
from referral.models import Book, Region, RuleSet


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = "NORTH"
    name = "North"


class BookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Book
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"WIRE-{n}")
    name = factory.LazyAttribute(lambda o: f"Inside wireman {o.code}")
    classification = factory.SubFactory(ClassificationFactory)
    region = factory.SubFactory(RegionFactory)
    tiers = 2


def rules_in_force(
    effective_on: datetime.date = datetime.date(2020, 1, 1), version: int = 1, **rules
) -> RuleSet:
    """An activated rule set (notice given in time), as the hall would have one: activated
    by the service when it takes effect today or later; one from a day gone by is written as
    the history the hall started with (as referral.demo writes its v1), since the service
    puts no rules in force from a past day."""
    from referral.services import rule_set_activate

    rule_set = RuleSet.objects.create(
        version=version,
        effective_on=effective_on,
        notice_given_on=effective_on - datetime.timedelta(days=60),
        **rules,
    )
    if effective_on >= timezone.localdate():
        return rule_set_activate(rule_set=rule_set, actor="tests")
    rule_set.activated_at = timezone.make_aware(
        datetime.datetime.combine(effective_on, datetime.time())
    )
    saved_by(rule_set, actor="tests")
    return rule_set
