"""The member notes history table is append-only (audit/append_only.py)."""

from django.db import migrations

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [("members", "0006_member_notes")]

    operations = [AppendOnly("members_historicalmembernote")]
