"""The morning referral's hold and the registrations queued while it holds the books are
history-tracked, their history append-only as every history table is (audit/append_only.py);
a hold names who started and who ended it, and a queued registration the hold it waited on."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_classification_schedule_13"),
        ("referral", "0008_check_marks"),
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="queuedregistration",
            name="hold",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="queued",
                to="referral.registrationhold",
            ),
        ),
        migrations.AddField(
            model_name="registrationhold",
            name="ended_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="registrationhold",
            name="ended_by_name",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name="registrationhold",
            name="started_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="registrationhold",
            name="started_by_name",
            field=models.CharField(default="", max_length=150),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="HistoricalQueuedRegistration",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("tier", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("tier_reason", models.CharField(blank=True, max_length=200)),
                ("asked_at", models.DateTimeField(blank=True, editable=False)),
                ("asked_by_name", models.CharField(max_length=150)),
                ("refused", models.CharField(blank=True, max_length=300)),
                (
                    "idempotency_key",
                    models.CharField(
                        blank=True, db_index=True, editable=False, max_length=100, null=True
                    ),
                ),
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
                    "asked_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "book",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="referral.book",
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
                (
                    "hold",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="referral.registrationhold",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="members.member",
                    ),
                ),
                (
                    "registration",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="referral.registration",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical queued registration",
                "verbose_name_plural": "historical queued registrations",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
                "indexes": [
                    models.Index(fields=["id", "history_id"], name="referral_hi_id_baaa8d_idx")
                ],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalRegistrationHold",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("started_at", models.DateTimeField()),
                ("started_by_name", models.CharField(max_length=150)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                ("ended_by_name", models.CharField(blank=True, max_length=150)),
                ("is_open", models.BooleanField(default=True)),
                ("reason", models.CharField(max_length=200)),
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
                    "ended_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
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
                (
                    "started_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical registration hold",
                "verbose_name_plural": "historical registration holds",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
                "indexes": [
                    models.Index(fields=["id", "history_id"], name="referral_hi_id_0cb33f_idx")
                ],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        AppendOnly("referral_historicalqueuedregistration"),
        AppendOnly("referral_historicalregistrationhold"),
    ]
