"""Demo governance for `manage.py seed_demo` (`members.demo_data`): the local's arrears
policy (IBEW-like: in advance, notice at 2 months, suspended at 3 with a $30 fee, dropped
at 6), its International with per-capita rates and last month's report worked out, and an
eligibility list for an election, published."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from members.models import Classification

from .models import Affiliate, ArrearsPolicy, CountRule, PerCapitaRate
from .services import (
    eligibility_list_create,
    eligibility_list_publish,
    per_capita_report_work_out,
)

NOTICE = """Dear {{ member }},

Our records show {{ months_owed }} month(s) of dues unpaid ({{ amount_owed }}). Under the
local's bylaws a member who owes {{ suspend_after }} months stands suspended. Please pay at
the hall or online from your dues page.

{{ local }}
"""


SEED_DEMO = "seed_demo"  # the demo's named actor, as members.management.commands.seed_demo


def seed_demo_compliance(stdout) -> None:
    if Affiliate.objects.exists():
        stdout.write("Demo governance: already there, left as it is.")
        return
    # A version of the local's own after the first, default one.
    ArrearsPolicy.objects.create(
        effective_date=datetime.date(2020, 1, 1),
        grace_days=30,
        delinquent_after=2,
        suspend_after=3,
        drop_after=6,
        reinstatement_fee=Decimal("30.00"),
        notice_text=NOTICE,
    )
    international = Affiliate.objects.create(
        code="IO", name="International Office", count_rule=CountRule.GOOD_STANDING
    )
    PerCapitaRate.objects.create(
        affiliate=international, amount=Decimal("24.00"), effective_date=datetime.date(2025, 7, 1)
    )
    retired = Classification.objects.filter(code="RT").first()
    if retired is not None:
        PerCapitaRate.objects.create(
            affiliate=international,
            classification=retired,
            amount=Decimal("8.00"),
            effective_date=datetime.date(2025, 7, 1),
        )
    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    report = per_capita_report_work_out(
        affiliate=international, year=last.year, month=last.month, actor=SEED_DEMO
    )
    elist = eligibility_list_create(title="Officers' election", record_date=last, actor=SEED_DEMO)
    eligibility_list_publish(elist=elist, actor=SEED_DEMO)
    stdout.write(
        f"Demo governance: arrears policy, per capita {report.label} ({report.count} members), "
        f"an eligibility list on {last} ({elist.eligible_count} eligible), published."
    )
