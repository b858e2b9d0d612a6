"""Running totals the database keeps for the pages about the whole local, and the ledgers'
copies of their members' status and number (dues/kept_totals.py)."""

from django.db import migrations, models

from dues.kept_totals import rebuild_sql, trigger_reverse_sql, trigger_sql


def _install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for statement in [*trigger_sql(vendor), *rebuild_sql(vendor)]:
        schema_editor.execute(statement, params=None)


def _remove(apps, schema_editor) -> None:
    for statement in trigger_reverse_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("dues", "0008_working_dues"),
        ("members", "0009_classification_schedule_13"),
    ]

    operations = [
        migrations.AddField(
            model_name="memberledger",
            name="member_status",
            field=models.CharField(db_default="", max_length=20),
        ),
        migrations.AddField(
            model_name="memberledger",
            name="member_number",
            field=models.CharField(db_default="", max_length=20),
        ),
        migrations.RemoveIndex(model_name="memberledger", name="ledger_arrears_idx"),
        migrations.CreateModel(
            name="KeptTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("measure", models.CharField(max_length=16)),
                ("status", models.CharField(blank=True, max_length=20)),
                ("key", models.IntegerField(default=0)),
                ("count", models.BigIntegerField(default=0)),
                ("amount", models.DecimalField(decimal_places=2, default=0, max_digits=18)),
            ],
            options={
                "default_permissions": (),
                "indexes": [
                    models.Index(fields=["measure", "key", "status"], name="kept_total_idx")
                ],
            },
        ),
        # The copies first (the rebuild sets them), then the indexes that read them.
        migrations.RunPython(_install, _remove),
        migrations.AddIndex(
            model_name="memberledger",
            index=models.Index(
                fields=["-months_in_arrears", "-balance", "member_number"],
                name="ledger_arrears_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="memberledger",
            index=models.Index(
                fields=["member_status", "-months_in_arrears", "-balance", "member_number"],
                name="ledger_status_arrears_idx",
            ),
        ),
    ]
