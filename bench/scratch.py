"""The bench's databases are scratch ones: each script drops the database DATABASE_URL names
and makes it again. A real one named there by mistake (the shell's DATABASE_URL left pointing
at production, say) would be lost, so a database is only dropped when its name says it is
scratch, or when the person running the script says so in words (--drop-database)."""

from __future__ import annotations

import argparse
import sys

import psycopg
from psycopg import sql

# A name holding one of these (or starting with "test_", as Django's test databases do)
# says it is scratch: unionhall_bench, unionhall_bench_smoke, uh_scratch.
SCRATCH_MARKS = ("bench", "scratch", "smoke")

DROP_DATABASE_FLAG = "--drop-database"


def database_name(url: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(url).get("dbname") or ""


def drop_database_given(description: str, argv: list[str] | None = None) -> bool:
    """The throughput scripts' one flag: whether --drop-database was given."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        DROP_DATABASE_FLAG,
        action="store_true",
        help="drop and make again the database DATABASE_URL names even though its name does "
        "not mark it scratch",
    )
    return parser.parse_args(sys.argv[1:] if argv is None else argv).drop_database


def scratch_name(name: str) -> bool:
    """Whether a database's name marks it as one the bench may drop."""
    lowered = name.lower()
    return lowered.startswith("test_") or any(mark in lowered for mark in SCRATCH_MARKS)


def scratch_database_remake(url: str, *, drop_database: bool = False) -> None:
    """Drop the database `url` names and make it again, empty; refused (SystemExit, before
    any connection) unless its name marks it scratch or `drop_database` is given."""
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "The bench runs on PostgreSQL: set DATABASE_URL=postgres://.../unionhall_bench"
        )
    name = database_name(url)
    if not name:
        raise SystemExit("DATABASE_URL names no database: the bench needs one it may drop.")
    if not (scratch_name(name) or drop_database):
        raise SystemExit(
            f"Refusing to drop the database {name!r}: the bench drops and makes again the "
            f"database DATABASE_URL names, and {name!r} does not look like a scratch one "
            f"(its name holds none of {', '.join(SCRATCH_MARKS)} and does not start with "
            f"test_). Point DATABASE_URL at one such as .../unionhall_bench, or pass "
            f"{DROP_DATABASE_FLAG} if {name!r} really is to be dropped."
        )
    print(f"Dropping the scratch database {name!r} and making it again.", flush=True)
    with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
