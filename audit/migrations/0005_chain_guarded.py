"""The database keeps the chain (audit/chain_guard.py): an event takes a number only after
the head or inside a block its own transaction reserved, the head only moves forward, and
a checkpoint names an event of the chain. Two new actions for the trail's own bookkeeping
(a block of numbers reserved for a long write, and the word that it was written)."""

from django.conf import settings
from django.db import migrations, models


def guard_installed(apps, schema_editor) -> None:
    from audit.chain_guard import chain_guard_installed

    chain_guard_installed(schema_editor.connection)


def guard_removed(apps, schema_editor) -> None:
    from audit.chain_guard import chain_guard_removed

    chain_guard_removed(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_events_in_sql"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="auditevent", name="audit_action_valid"),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Create"),
                    ("update", "Update"),
                    ("delete", "Delete"),
                    ("soft_delete", "Soft delete"),
                    ("login", "Login"),
                    ("login_failed", "Login failed"),
                    ("logout", "Logout"),
                    ("export", "Export"),
                    ("view_sensitive", "View of sensitive data"),
                    ("block_reserved", "Numbers reserved"),
                    ("block_sealed", "Reserved numbers written"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("action", "block_reserved")),
                fields=["seq"],
                name="audit_block_reserved_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "action__in",
                        [
                            "create",
                            "update",
                            "delete",
                            "soft_delete",
                            "login",
                            "login_failed",
                            "logout",
                            "export",
                            "view_sensitive",
                            "block_reserved",
                            "block_sealed",
                        ],
                    )
                ),
                name="audit_action_valid",
            ),
        ),
        migrations.RunPython(guard_installed, guard_removed),
    ]
