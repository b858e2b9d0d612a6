from __future__ import annotations

import pytest
from django.core.management import call_command

from checkoff.models import BatchStatus, Employer, LineException, RemittanceLine, SuspenseStatus

pytestmark = pytest.mark.django_db


def test_the_demo_has_two_employers_a_posted_month_and_one_open_exception(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    assert "Demo check-off: 2 employers" in capsys.readouterr().out
    assert list(Employer.objects.values_list("code", flat=True)) == ["ACME", "BOLT"]
    lines = RemittanceLine.objects.filter(batch__status=BatchStatus.POSTED)
    assert lines.filter(batch__employer__code="BOLT").exclude(payment=None).count() == 3
    open_lines = lines.filter(suspense=SuspenseStatus.OPEN)
    assert [line.exception for line in open_lines] == [LineException.UNMATCHED]
