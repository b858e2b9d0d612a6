"""Union Hall at the scale of a large local: each workload beside its floor, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1/unionhall_bench python -m bench --members 100000
    make bench        # the same, at 100,000 members

Builds (or reuses) a local of --members members x 24 months on the PostgreSQL database at
DATABASE_URL (a scratch database: it is dropped and made again when rebuilt, so its name
must say so, holding "bench", "scratch" or "smoke" or starting with "test_", unless
--drop-database is given; bench/scratch.py), runs every
workload --runs times beside its floor (what the database alone needs for the same answer)
and prints a table of medians and ratios. The hiring hall's rows run on a large hall built
beside the local (`hall`, bench/hall.py, with its morning: the referral run over 100
requests and the day book of its dispatches, bench/hall_runs.py) and on the demo's, seeded on
a scratch database of its own (`hall-demo`, bench/hall_demo.py). `--smoke` runs it all once
on a tiny local (seconds; CI does, so the bench does not rot).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionhall.settings")
os.environ["DEBUG"] = "0"  # DEBUG would keep every query in memory
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["TASKS_BACKEND"] = "immediate"
os.environ["EMAIL_BACKEND"] = "bench.mail.EmailBackend"  # made whole, not printed


WORKLOADS = (
    "generation",
    "standing",
    "member",
    "api",
    "search",
    "changelists",
    "import",
    "remittance",
    "governance",
    "autopay",
    "logins",
    "hall",
    "hall-demo",
)


@dataclass
class Row:
    workload: str
    ours_ms: float
    floor_ms: float | None
    note: str = ""

    @property
    def ratio(self) -> str:
        return f"{self.ours_ms / self.floor_ms:.1f}x" if self.floor_ms else "-"


def median_ms(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    from bench.scratch import DROP_DATABASE_FLAG, scratch_database_remake

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5, help="runs of each page workload")
    parser.add_argument(
        "--generation-runs", type=int, default=3, help="periods generated (each a new month)"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the local again")
    parser.add_argument("--smoke", action="store_true", help="a tiny local, once (CI)")
    parser.add_argument(
        DROP_DATABASE_FLAG,
        action="store_true",
        help="drop and make again the database DATABASE_URL names even though its name does "
        "not mark it scratch (bench, scratch, smoke, test_...)",
    )
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated workloads to run, of {', '.join(WORKLOADS)} (all by default)",
    )
    args = parser.parse_args()
    if args.smoke:
        args.members, args.runs = 300, 1

    only = frozenset(filter(None, args.only.split(",")))
    unknown = only - set(WORKLOADS)
    if unknown:
        sys.exit(f"No workload named {', '.join(sorted(unknown))}: one of {', '.join(WORKLOADS)}")

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("The bench runs on PostgreSQL: set DATABASE_URL=postgres://.../unionhall_bench")

    from bench import dataset

    rebuild = args.rebuild or args.smoke or dataset.existing_size(url) != args.members
    if rebuild:
        scratch_database_remake(url, drop_database=args.drop_database)

    import django

    django.setup()
    # A line per task of the immediate backend (20,000 for autopay's receipts): not the
    # bench's output.
    logging.getLogger("django_tasks").setLevel(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    # Pages render without collectstatic's manifest (what they cost is the same).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    # The page workloads' floors are served beside the product's pages (bench/floors.py).
    settings.ROOT_URLCONF = "bench.floors"

    call_command("migrate", verbosity=0)
    if rebuild:
        print(f"Building a local of {args.members:,} members x {args.periods} months:")
        dataset.build(args.members, args.periods, print)
    else:
        print(f"Reusing the local of {args.members:,} members (--rebuild to build it again).")

    from bench import hall

    if not hall.hall_built():
        print("Building a hiring hall of 40 books, ten years of events:")
        hall.hall_build(print, small=args.smoke)

    # As gunicorn serves: every view loaded, and frozen out of the full garbage passes.
    from unionhall.wsgi import warmed_up

    warmed_up()
    from bench.workloads import run_all

    rows, differences = run_all(
        args.members,
        runs=args.runs,
        generation_runs=1 if args.smoke else args.generation_runs,
        only=only,
        drop_database=args.drop_database,
    )
    print()
    print(f"{'workload':<62} {'ours':>10} {'floor':>10} {'ratio':>7}  note")
    for row in rows:
        floor = f"{row.floor_ms:,.1f}" if row.floor_ms else "-"
        print(f"{row.workload:<62} {row.ours_ms:>10,.1f} {floor:>10} {row.ratio:>7}  {row.note}")
    print("(milliseconds, medians)")
    if differences:
        print("The local is NOT as the run found it:", *differences, sep="\n  ")
        sys.exit(1)
    print("The local is as the run found it (every table compared: bench/local_state.py).")


if __name__ == "__main__":
    main()
