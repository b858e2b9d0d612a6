"""Check-off's history tables are append-only (audit/append_only.py)."""

from django.db import migrations

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("checkoff", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        AppendOnly("checkoff_historicalemployer"),
        AppendOnly("checkoff_historicalcheckoffauthorization"),
        AppendOnly("checkoff_historicalremittancebatch"),
        AppendOnly("checkoff_historicalsuspenseresolution"),
    ]
