"""Create the five role groups of docs/design.md §3 with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.roles import roles_sync


def create_roles(apps, schema_editor):
    # Permissions are normally made after `migrate` finishes; make them now so the
    # groups can be granted them in this migration.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps, app_labels=["members"], using=schema_editor.connection.alias)


def remove_roles(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    group_model.objects.using(schema_editor.connection.alias).filter(
        name__in=["Admin", "Officer", "Organizer", "Staff", "Member"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
