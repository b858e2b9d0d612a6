from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction

from audit.runtime_role import runtime_role_grant


class Command(BaseCommand):
    help = (
        "Create or update the PostgreSQL role the app runs as: it reads and writes the data, "
        "only inserts into the audit trail and history tables, and owns nothing, so it "
        "cannot disable their triggers. Run it as the tables' owner (the role migrations run "
        "as), after every `migrate`; the owner needs CREATEROLE, not superuser."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the runtime role's name, e.g. unionhall_app")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="set the role's password from this environment variable (never a flag)",
        )

    def handle(self, *args, role: str, password_env: str | None, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("A runtime role is a PostgreSQL feature; this database is not.")
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"The environment variable {password_env} is empty or unset.")
        try:
            with transaction.atomic():
                done = runtime_role_grant(connection, role, password=password)
        except DatabaseError as error:
            # What PostgreSQL said, first line: e.g. what a superuser must run once.
            diag = getattr(error.__cause__, "diag", None)
            raise CommandError(getattr(diag, "message_primary", None) or str(error)) from error
        for line in done:
            self.stdout.write(f"{line};")
        self.stdout.write(self.style.SUCCESS(f"Role {role} can run the app and owns nothing."))
