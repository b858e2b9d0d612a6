from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from checkoff.models import BatchStatus, RemittanceBatch
from dues.models import Payment
from members.tests.factories import MemberFactory

from .factories import AuthorizationFactory, remittance_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def remittance(tmp_path, acme, journeyman, charged_2026):
    ana = MemberFactory(member_number="1001", classification=journeyman)
    AuthorizationFactory(member=ana, employer=acme)
    charged_2026()
    path = tmp_path / "acme.csv"
    path.write_bytes(
        remittance_csv("1001,Nunez,Ana,,,2026-09,,,45.00", "9999,Stranger,Sam,,,2026-09,,,45.00")
    )
    return path


def test_the_command_posts_a_file_once(remittance, capsys):
    call_command("import_remittance", "acme", str(remittance), "--control-total", "90.00")
    out = capsys.readouterr().out
    assert "UNMATCHED: 1 line, 45.00" in out
    assert "Posted Remittance #" in out and "1 payment (45.00), 1 line to suspense (45.00)" in out
    with pytest.raises(CommandError, match="already been posted"):
        call_command("import_remittance", "ACME", str(remittance), "--control-total", "90.00")
    assert Payment.objects.count() == 1
    assert RemittanceBatch.objects.filter(status=BatchStatus.POSTED).count() == 1


def test_a_dry_run_keeps_nothing(remittance, capsys):
    call_command("import_remittance", "ACME", str(remittance), "--dry-run")
    assert "Dry run: nothing was kept or posted." in capsys.readouterr().out
    assert not RemittanceBatch.objects.exists()


def test_out_of_balance_and_bad_input_say_what_is_wrong(remittance):
    with pytest.raises(CommandError, match=r"not the control total \$80\.00"):
        call_command("import_remittance", "ACME", str(remittance), "--control-total", "80")
    assert not Payment.objects.exists()
    with pytest.raises(CommandError, match="No employer has the code 'NOPE'"):
        call_command("import_remittance", "NOPE", str(remittance))
    with pytest.raises(CommandError, match="is not an amount"):
        call_command("import_remittance", "ACME", str(remittance), "--control-total", "ninety")


def test_the_help_says_it_checks_then_posts_unless_a_dry_run():
    from checkoff.management.commands.import_remittance import Command

    parser = Command().create_parser("manage.py", "import_remittance")
    text = " ".join(parser.format_help().split())
    assert "Check an employer's remittance file (CSV or XLSX), then post it, in one go" in text
    assert "With --dry-run it only checks: nothing is kept or posted." in text


def test_it_prints_what_it_posted_to_members_and_to_suspense(remittance, capsys):
    call_command("import_remittance", "ACME", str(remittance), "--control-total", "90.00")
    out = capsys.readouterr().out.splitlines()
    batch = RemittanceBatch.objects.get()
    assert f"Checked and kept as {batch}; posting it." in out
    assert out[-1] == f"Posted {batch}: 1 payment (45.00), 1 line to suspense (45.00)."
    assert batch.status == BatchStatus.POSTED
    assert [p.amount for p in Payment.objects.all()] == [Decimal("45.00")]


def test_a_refused_posting_says_the_checked_remittance_is_kept(remittance):
    with pytest.raises(CommandError) as refused:
        call_command("import_remittance", "ACME", str(remittance), "--control-total", "80")
    batch = RemittanceBatch.objects.get()
    assert str(refused.value).endswith(f"{batch} stays checked, not posted.")
    assert batch.status == BatchStatus.CHECKED
    assert not Payment.objects.exists()
