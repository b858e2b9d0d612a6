"""The checkout history table is append-only (audit/append_only.py)."""

from django.db import migrations

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [AppendOnly("payments_historicalcheckoutsession")]
