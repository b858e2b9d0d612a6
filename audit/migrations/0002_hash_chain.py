"""The hash chain (audit/chain.py): every event numbered and hashed after the one before it.

Events written before this migration are numbered and hashed here, in the order they were
written. That is the one time a migration rewrites audit rows, and it only fills the new
columns: the append-only trigger is lifted for it, as the table's owner, inside this
migration's transaction, and put back before it commits.
"""

from django.db import migrations, models

from audit.append_only import AppendOnly, sqlite_trigger_sql

TABLE = "audit_auditevent"


def number_and_hash_existing_events(apps, schema_editor) -> None:
    from audit.chain import GENESIS, events_hashed

    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditChainHead")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
    last_seq, last_hash = 0, GENESIS
    events = event_model.objects.order_by("occurred_at", "id").iterator(chunk_size=5000)
    batch = []
    for event in events_hashed(events):
        batch.append(event)
        last_seq, last_hash = event.seq, event.hash
        if len(batch) == 5000:
            event_model.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    event_model.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
    head_model.objects.create(pk=1, seq=last_seq, hash=last_hash)
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_append_only")
    else:
        for statement in sqlite_trigger_sql(TABLE):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True, verbose_name="number in the trail"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={"default_permissions": ()},
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(verbose_name="up to event")),
                ("hash", models.CharField(max_length=64)),
                ("verified_at", models.DateTimeField()),
                ("events_checked", models.BigIntegerField()),
                ("verified_by", models.CharField(max_length=150)),
            ],
            options={
                "ordering": ["-seq", "-id"],
                "default_permissions": ("view",),
                "indexes": [models.Index(fields=["-seq"], name="audit_checkpoint_seq_idx")],
            },
        ),
        migrations.RunPython(number_and_hash_existing_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True, verbose_name="number in the trail"),
        ),
        AppendOnly("audit_auditcheckpoint"),
    ]
