"""Matching a line of a checked remittance to a member by hand, before posting: the lines
matching left UNMATCHED (no member number, employee id, or SSN with the last name found
one; never a name alone) are matched by a person who searched for the member by name or
number. A service: it names its actor, checks their permission, and writes an audit event."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.actors import Actor, actor_checked, person
from audit.models import AuditAction
from audit.services import audit_event_record
from members.models import Member

from .matching import line_matched_by_a_person
from .models import BatchStatus, LineException, RemittanceBatch, RemittanceLine

# Who decides which member a line's money goes to, before posting (here) or after (suspense).
MATCH_PERMISSION = "checkoff.add_suspenseresolution"


@transaction.atomic
def remittance_line_match(
    *, line: RemittanceLine, member: Member, note: str, actor: Actor
) -> RemittanceLine:
    """Match an unmatched line of a checked (not yet posted) remittance to the member a person
    chose for it: its expected dues and exception are worked out as matching does
    (`line_matched_by_a_person`), the member's MISSING line of that month in the file goes
    (they are in it), and the trail keeps who matched it, to whom and why. Posting then
    credits the member, or holds the line in suspense if its exception says so."""
    who = person(actor_checked(actor))
    if who is not None and not who.has_perm(MATCH_PERMISSION):
        raise PermissionDenied("Your role may not match remittance lines to members.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say why: how you know the line is theirs."})
    # Lock the batch: a posting waits for a match and a match for a posting, so a line is
    # never matched once its batch is posted.
    batch = (
        RemittanceBatch.objects.select_for_update().select_related("employer").get(pk=line.batch_id)
    )
    if batch.status != BatchStatus.CHECKED:
        raise ValidationError(
            f"{batch} is {batch.get_status_display().lower()}: its unmatched money is in "
            "suspense, applied to a member from there."
        )
    line = RemittanceLine.objects.select_for_update().get(pk=line.pk)
    if line.member_id is not None or line.exception != LineException.UNMATCHED:
        raise ValidationError("This line is matched already.")
    line.batch = batch
    line_matched_by_a_person(line, member)
    line.save(update_fields=["member", "matched_by", "expected", "expected_working", "exception"])
    missing = batch.lines.filter(
        member=member, year=line.year, month=line.month, exception=LineException.MISSING
    )
    removed = list(missing.values_list("pk", flat=True))
    missing.delete()
    audit_event_record(
        action=AuditAction.UPDATE,
        actor=who,
        actor_label=None if who is not None else actor,
        model_label="checkoff.remittanceline",
        object_id=line.pk,
        object_repr=f"Row {line.row_number} of {batch}",
        member_id=member.pk,
        member_number=member.member_number,
        changes={
            "member": [None, member.pk],
            "matched_by": ["", line.matched_by],
            "exception": [LineException.UNMATCHED.value, line.exception],
            "expected": [None, None if line.expected is None else str(line.expected)],
        },
        detail=note + (f" (their MISSING line #{removed[0]} removed)" if removed else ""),
    )
    return line
