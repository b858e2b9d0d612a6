"""Autopay's history tables are append-only (audit/append_only.py)."""

from django.db import migrations

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_autopay"),
        ("audit", "0001_initial"),
    ]

    operations = [
        AppendOnly("payments_historicalautopay"),
        AppendOnly("payments_historicalautopaycollection"),
    ]
