"""Demo check-off for `manage.py seed_demo` (`members.demo_data`): two employers, one with
our default layout and one with its own, their workers' authorizations, and last month's
remittance of each posted from the sample files (checkoff/samples/, re-dated to last
month), leaving one line in suspense for the office to resolve."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

from django.utils import timezone

from members.models import Member

from .models import CheckoffAuthorization, Employer
from .services import authorization_save, employer_save, remittance_check, remittance_post

SAMPLES = Path(__file__).resolve().parent / "samples"
BOLT_LAYOUT = {
    "employee_id": "Emp No",
    "last_name": "Last Name",
    "first_name": "First Name",
    "period": "Pay Period",
    "hours": "Hours Worked",
    "gross_wages": "Gross Pay",
    "amount": "Dues Withheld",
}
# Employer code → member number → employee id there. 100106 is authorized at Acme but
# missing from its file (a MISSING line); Acme's last line is nobody's (UNMATCHED).
AUTHORIZED = {
    "ACME": {
        "100022": "A-1022",
        "100038": "A-1038",
        "100043": "A-1043",
        "100066": "A-1066",
        "100106": "A-1106",
    },
    "BOLT": {"100128": "B-201", "100181": "B-202", "100030": "B-203"},
}


def seed_demo_checkoff(stdout) -> None:
    if Employer.objects.exists():
        stdout.write("Demo check-off: employers already there, left as they are.")
        return
    acme = employer_save(
        employer=Employer(
            code="ACME",
            name="Acme Electric Co.",
            ein="36-1234567",
            contact_name="Pat Okoye",
            contact_email="payroll@acme-electric.example",
            due_day=15,
        ),
        actor="seed_demo",
    )
    bolt = employer_save(
        employer=Employer(
            code="BOLT",
            name="Bolt Wiring LLC",
            ein="36-7654321",
            contact_email="hr@boltwiring.example",
            due_day=10,
            column_mapping=BOLT_LAYOUT,
        ),
        actor="seed_demo",
    )
    today = timezone.localdate()
    members = Member.objects.in_bulk(
        [number for workers in AUTHORIZED.values() for number in workers],
        field_name="member_number",
    )
    for employer in (acme, bolt):
        for number, employee_id in AUTHORIZED[employer.code].items():
            if number in members:
                authorization_save(
                    authorization=CheckoffAuthorization(
                        member=members[number],
                        employer=employer,
                        employee_id=employee_id,
                        signed_on=members[number].join_date,
                    ),
                    actor="seed_demo",
                )
    last = today.replace(day=1) - datetime.timedelta(days=1)
    for employer, sample in ((acme, "acme-default-layout.csv"), (bolt, "bolt-own-layout.csv")):
        content = _redated(SAMPLES / sample, employer, last.year, last.month)
        result = remittance_check(
            employer=employer,
            content=content,
            file_name=sample,
            received_on=today,
            reference=f"EFT {employer.code}-{last:%Y%m}",
            actor="seed_demo",
        )
        result.batch.control_total = result.batch.total
        result.batch.save(update_fields=["control_total"])
        remittance_post(batch=result.batch, actor="seed_demo")
    stdout.write(
        f"Demo check-off: 2 employers, {last:%Y-%m} remitted and posted, one line in suspense."
    )


def _redated(path: Path, employer: Employer, year: int, month: int) -> bytes:
    """The sample file with its work month set to year-month (its own format kept)."""
    rows = list(csv.reader(io.StringIO(path.read_text())))
    column = (employer.column_mapping or {}).get("period", "period")
    at = rows[0].index(column)
    for row in rows[1:]:
        row[at] = f"{month:02d}/{year}" if "/" in row[at] else f"{year}-{month:02d}"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()
