"""The bench and its throughput scripts drop the database DATABASE_URL names, so they refuse
one whose name does not mark it scratch unless told in words (bench/scratch.py). Refusing
needs no database: it happens before any connection."""

from __future__ import annotations

import pytest

from bench import hall_demo, scratch


@pytest.fixture
def no_connection(monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("the guard connected before refusing")

    monkeypatch.setattr(scratch.psycopg, "connect", refused)


@pytest.mark.parametrize(
    "name", ["unionhall", "unionhall_prod", "postgres", "members", "latest_hall"]
)
def test_a_database_not_named_scratch_is_refused_before_any_connection(name, no_connection):
    with pytest.raises(SystemExit, match=f"Refusing to drop the database '{name}'") as refused:
        scratch.scratch_database_remake(f"postgres://postgres@127.0.0.1:5432/{name}")
    assert "--drop-database" in str(refused.value)


@pytest.mark.parametrize(
    "name", ["unionhall_bench", "unionhall_bench_smoke", "uh_scratch", "SMOKE1", "test_hall"]
)
def test_names_that_mark_a_scratch_database(name):
    assert scratch.scratch_name(name)


def test_a_url_without_a_database_or_not_postgres_is_refused(no_connection):
    with pytest.raises(SystemExit, match="names no database"):
        scratch.scratch_database_remake("postgres://postgres@127.0.0.1:5432")
    with pytest.raises(SystemExit, match="runs on PostgreSQL"):
        scratch.scratch_database_remake("sqlite:///db.sqlite3")


def test_the_flag_is_read_by_the_throughput_scripts():
    assert scratch.drop_database_given("", ["--drop-database"]) is True
    assert scratch.drop_database_given("", []) is False


@pytest.mark.parametrize(
    ("url", "demo"),
    [
        (
            "postgres://postgres@127.0.0.1:5432/unionhall_bench",
            "postgres://postgres@127.0.0.1:5432/unionhall_bench_hall_demo",
        ),
        (
            "postgresql://u:p@db/uh_scratch?sslmode=require",
            "postgresql://u:p@db/uh_scratch_hall_demo?sslmode=require",
        ),
    ],
)
def test_the_demo_halls_database_is_the_benchs_name_with_a_suffix(url, demo):
    """The demo hall's rows seed a database of their own beside the bench's, on the same
    server: scratch when the bench's is."""
    assert hall_demo.demo_database_url(url) == demo
    assert scratch.scratch_name(scratch.database_name(demo))


def test_the_demo_halls_database_is_refused_when_the_benchs_name_is_not_scratch(no_connection):
    demo = hall_demo.demo_database_url("postgres://postgres@127.0.0.1:5432/unionhall")
    with pytest.raises(SystemExit, match="Refusing to drop the database 'unionhall_hall_demo'"):
        scratch.scratch_database_remake(demo)
