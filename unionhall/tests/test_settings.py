"""Settings come from the environment, and production settings start safe or not at all."""

from __future__ import annotations

from unionhall.tests.process import PROJECT, run_python

PRODUCTION = {
    "SECRET_KEY": "h3Qv7b0tKc2LmX9pZr4Yw8NsE1uJd6AaF5gT0oVqBiCxRnSlMkWy",
    "ALLOWED_HOSTS": "hall.local1234.org",
}


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_python("manage.py", "check", env={})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_set():
    probe = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    assert run_python("-c", probe, env=PRODUCTION).stdout.strip() == "False"
    assert run_python("-c", probe, env={"DEBUG": "1"}).stdout.strip() == "True"


def test_production_settings_pass_the_deploy_check():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_database_url_picks_the_database():
    probe = (
        "import django; django.setup(); from django.db import connection; "
        "print(connection.vendor, connection.settings_dict['NAME'])"
    )
    sqlite = run_python("-c", probe, env={"DEBUG": "1", "DATABASE_URL": ""})
    assert sqlite.stdout.split() == ["sqlite", str(PROJECT / "db.sqlite3")]
    postgres = run_python(
        "-c", probe, env={"DEBUG": "1", "DATABASE_URL": "postgres://u:p@db.example:5432/hall"}
    )
    assert postgres.stdout.split() == ["postgresql", "hall"]


def test_a_log_line_is_printed_once():
    """`make run` printed Django's lines twice (its own console handler and the root's)."""
    import logging

    printers = []
    logger = logging.getLogger("django.request")
    while logger is not None:
        # (pytest adds its own capturing handlers, subclasses: not counted)
        printers += [h for h in logger.handlers if type(h) is logging.StreamHandler]
        logger = logger.parent if logger.propagate else None
    assert len(printers) == 1
