"""Employers' contracts, as the vendor's employer-contract export lists them; their history
is append-only as every history table is (audit/append_only.py)."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("checkoff", "0005_line_exception_ceiling"),
        ("referral", "0002_append_only"),
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EmployerContract",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("contract_code", models.CharField(max_length=20)),
                (
                    "agreement_type",
                    models.CharField(
                        choices=[
                            ("standard", "Standard"),
                            ("pla", "Project labor agreement (PLA)"),
                            ("cwa", "Community workforce agreement (CWA)"),
                            ("tero", "Tribal employment rights (TERO)"),
                        ],
                        default="standard",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "employer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contracts",
                        to="checkoff.employer",
                    ),
                ),
            ],
            options={
                "ordering": ["contract_code", "employer_id"],
                "permissions": [
                    (
                        "import_vendor_lists",
                        "Can import the vendor's registration lists and contracts",
                    )
                ],
                "indexes": [models.Index(fields=["contract_code"], name="employer_contract_code")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("employer", "contract_code"), name="employer_contract_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="HistoricalEmployerContract",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("contract_code", models.CharField(max_length=20)),
                (
                    "agreement_type",
                    models.CharField(
                        choices=[
                            ("standard", "Standard"),
                            ("pla", "Project labor agreement (PLA)"),
                            ("cwa", "Community workforce agreement (CWA)"),
                            ("tero", "Tribal employment rights (TERO)"),
                        ],
                        default="standard",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(blank=True, editable=False)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "employer",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="checkoff.employer",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical employer contract",
                "verbose_name_plural": "historical employer contracts",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
                "indexes": [
                    models.Index(fields=["id", "history_id"], name="referral_hi_id_937220_idx")
                ],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        AppendOnly("referral_historicalemployercontract"),
    ]
