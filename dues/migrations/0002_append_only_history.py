"""Dues history tables are append-only (audit/append_only.py)."""

from django.db import migrations

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("dues", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        AppendOnly(f"dues_historical{model}")
        for model in ("adjustment", "duescharge", "duesperiod", "duesrate", "payment", "refund")
    ]
