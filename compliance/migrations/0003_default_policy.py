"""A first arrears policy, so that standing on a day and eligibility lists work from the
start: the ledger's own rule (a month is owed once its due date has passed: in advance,
after a day's grace), a notice at 1 month owed, suspension at 3, drop at 6, no fee. The
local adds its own rules as a new version."""

import datetime

from django.db import migrations

NOTICE = """Dear {{ member }},

Our records show {{ months_owed }} month(s) of dues unpaid ({{ amount_owed }}). A member who
owes {{ suspend_after }} months stands suspended. Please pay at the union office or online
from your dues page.

{{ local }}
"""


def default_policy(apps, schema_editor) -> None:
    ArrearsPolicy = apps.get_model("compliance", "ArrearsPolicy")
    if not ArrearsPolicy.objects.exists():
        ArrearsPolicy.objects.create(
            effective_date=datetime.date(2000, 1, 1),
            convention="in_advance",
            grace_days=1,
            delinquent_after=1,
            suspend_after=3,
            drop_after=6,
            reinstatement_fee=0,
            notice_subject="Your dues are in arrears",
            notice_text=NOTICE,
        )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_append_only")]

    operations = [migrations.RunPython(default_policy, migrations.RunPython.noop)]
