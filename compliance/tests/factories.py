from __future__ import annotations

import datetime

import factory

from compliance.models import Affiliate, ArrearsPolicy, Convention


class ArrearsPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArrearsPolicy

    effective_date = datetime.date(2020, 1, 1)
    convention = Convention.IN_ADVANCE
    grace_days = 0
    delinquent_after = 1
    suspend_after = 3
    drop_after = 6
    notice_text = "Dear {{ member }}, you owe {{ months_owed }} months ({{ amount_owed }})."


class AffiliateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Affiliate

    code = factory.Sequence(lambda n: f"AFF{n}")
    name = "International Office"
