"""Members' history tables are append-only (audit/append_only.py)."""

from django.db import migrations

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_search_indexes"),
        ("audit", "0001_initial"),
    ]

    operations = [
        AppendOnly("members_historicalclassification"),
        AppendOnly("members_historicalmember"),
    ]
