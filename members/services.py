from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor, actor_checked, person, saved_by
from audit.context import acting_as
from audit.models import AuditAction
from audit.services import audit_event_record

from .models import Member, MemberNote
from .selectors import member_fields_editable_by, member_note_editable_by, note_visibilities_for
from .tasks import contact_change_email

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

# --- One member ------------------------------------------------------------------------------


@transaction.atomic
def member_create(*, actor: Actor, **fields: Any) -> Member:
    """A new member, checked as the model checks it (its constraints as messages)."""
    member = Member(**fields)
    _email_from_new_login(member, linked_before=None)
    member.full_clean()
    saved_by(member, actor=actor)
    _login_email_in_step(member, actor=actor)
    return member


@transaction.atomic
def member_update(
    *,
    member: Member,
    actor: Actor,
    changes: dict[str, Any],
    role_checked: bool = True,
) -> Member:
    """Change a member's record. Who may change which field is decided here, whatever the
    path (admin, API): Staff change contact data only (docs/design.md §3). `role_checked=False`: a
    rule decided the change (the arrears policy), and `actor` is only who applied it."""
    checked = role_checked and person(actor) is not None
    editable = member_fields_editable_by(actor) if checked else None
    beyond = sorted(set(changes) - editable) if editable is not None else []
    if beyond:
        raise PermissionDenied(f"Your role may change contact data only, not: {', '.join(beyond)}.")
    # Lock the row: two offices saving the same member must not lose one another's change.
    member = Member.objects.select_for_update().get(pk=member.pk)
    linked_before = member.user_id
    for name, value in changes.items():
        setattr(member, name, value)
    _email_from_new_login(member, linked_before=linked_before)
    member.full_clean()
    saved_by(member, actor=actor)
    _login_email_in_step(member, actor=actor)
    return member


# --- One email: the member's and their login's ----------------------------------------------


def _email_from_new_login(member: Member, *, linked_before: int | None) -> None:
    """A login newly linked to a member with no email on record brings its own: the record
    takes it, so that the two stay one (otherwise the record's email wins, below)."""
    if member.user_id and member.user_id != linked_before and not member.email:
        member.email = (
            get_user_model().objects.filter(pk=member.user_id).values_list("email", flat=True)
        ).first() or ""


def _login_email_in_step(member: Member, *, actor: Actor) -> None:
    """The member's email is their login's too, whichever way it changed (the member
    themself, the admin, the API, a job): Django's password reset finds a login by its
    email, so a member who changed theirs resets with the new one. The login's change is
    an audit event (accounts/receivers.py) naming `actor`."""
    if member.user_id is None:
        return
    # Lock the login: its own page (the users' admin) may be saving it at the same moment.
    user = get_user_model().objects.select_for_update().get(pk=member.user_id)
    if user.email == member.email:
        return
    user.email = member.email
    # The login's audit event names the request's user, else whoever acts here: `actor`.
    with acting_as(actor_checked(actor)):
        user.save(update_fields=["email"])


@transaction.atomic
def member_contact_update(
    *, member: Member, actor: AbstractBaseUser, changes: dict[str, Any]
) -> Member:
    """A member's own change of their contact details (contact fields only, as
    `member_update` records any change), and the office told by mail, by a worker."""
    beyond = sorted(set(changes) - set(Member.CONTACT_FIELDS))
    if beyond:
        raise PermissionDenied(f"Members change their contact details only, not: {beyond}.")
    member = member_update(member=member, actor=actor, changes=changes)
    contact_change_email.enqueue(member.pk, sorted(changes))  # with the change, or not at all
    return member


def member_records_view_record(
    *, actor: AbstractBaseUser, members: list[Member], detail: str, request: HttpRequest | None
) -> None:
    """Member records hold date of birth, address and phone: who read them, where, is on
    record (a member reading their own is not)."""
    if not members or (len(members) == 1 and members[0].user_id == actor.pk):
        return
    if len(members) == 1:
        member = members[0]
        ref = {
            "object_id": member.pk,
            "object_repr": str(member),
            "member_id": member.pk,
            "member_number": member.member_number,
        }
    else:
        ref = {"object_repr": f"{len(members)} members"}
    audit_event_record(
        action=AuditAction.VIEW_SENSITIVE,
        actor=actor,
        model_label="members.member",
        detail=detail,
        request=request,
        **ref,
    )


# --- Member notes ---------------------------------------------------------------------------


def _note_visibility(author: AbstractBaseUser, visibility: str) -> str:
    allowed = note_visibilities_for(author)
    if visibility not in allowed:
        choices = ", ".join(allowed) or "none (you may not write notes)"
        raise ValidationError({"visibility": f"Choose one of: {choices}."})
    return visibility


def _note_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "A note needs some text."})
    return text


@transaction.atomic
def member_note_create(
    *, member: Member, actor: AbstractBaseUser, text: str, visibility: str, category: str = ""
) -> MemberNote:
    """A note on a member, by a person (its author)."""
    note = MemberNote(
        member=member,
        author=actor,
        text=_note_text(text),
        visibility=_note_visibility(actor, visibility),
        category=category or "",
    )
    note.full_clean(exclude=["member", "author"])
    saved_by(note, actor=actor)
    return note


@transaction.atomic
def member_note_update(
    *,
    note: MemberNote,
    actor: AbstractBaseUser,
    text: str | None = None,
    visibility: str | None = None,
    category: str | None = None,
) -> MemberNote:
    # Lock the note: two editors must not overwrite each other's change unseen.
    note = MemberNote.objects.select_for_update().get(pk=note.pk)
    if not member_note_editable_by(note, actor) or note.is_deleted:
        raise PermissionDenied("Only the note's author or an Admin may change it.")
    if text is not None:
        note.text = _note_text(text)
    if visibility is not None:
        note.visibility = _note_visibility(actor, visibility)
    if category is not None:
        note.category = category
    note.full_clean(exclude=["member", "author"])
    saved_by(note, actor=actor)
    return note


@transaction.atomic
def member_note_delete(*, note: MemberNote, actor: AbstractBaseUser) -> MemberNote:
    """Hide the note (soft delete): it stays in the database, its history and the trail."""
    # Lock the note: an edit and a delete at once must not both be applied unseen.
    note = MemberNote.objects.select_for_update().get(pk=note.pk)
    if not member_note_editable_by(note, actor):
        raise PermissionDenied("Only the note's author or an Admin may delete it.")
    if not note.is_deleted:
        note.is_deleted = True
        note.deleted_at = timezone.now()
        saved_by(note, actor=actor, update_fields=["is_deleted", "deleted_at", "updated_at"])
    return note
