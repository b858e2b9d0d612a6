"""The hiring hall's events and history tables are append-only (audit/append_only.py): a
registration's record is never rewritten."""

from django.db import migrations

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("referral", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        AppendOnly("referral_registrationevent"),
        AppendOnly("referral_historicalregion"),
        AppendOnly("referral_historicalholiday"),
        AppendOnly("referral_historicalbook"),
        AppendOnly("referral_historicalruleset"),
        AppendOnly("referral_historicalregistration"),
        AppendOnly("referral_historicalregistrationevent"),
        AppendOnly("referral_historicalexemption"),
    ]
