from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet

from accounts import roles
from appkit.sql import Among

from .models import Member, MemberNote, NoteVisibility

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def member_for_user(user: AbstractBaseUser | AnonymousUser) -> Member | None:
    """The member record linked to this login, if there is one."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("classification").filter(user=user).first()


def members_readable_by(user: User, *, office_permission: str) -> QuerySet[Member]:
    """Every member for a user with the office permission; otherwise only the user's own
    record. A member asking for anyone else's record finds it "not there" (404), exactly
    as for a number that does not exist: no answer tells them which members exist."""
    members = Member.objects.select_related("classification")
    if user.has_perm(office_permission):
        return members
    return members.filter(user=user) if user.is_authenticated else members.none()


PERSONAL_PERMISSION = "members.view_personal"


def member_fields_hidden_from(user: User, member: Member | None = None) -> frozenset[str]:
    """The fields of a member's record this user may not see: the one rule for every admin
    page, API answer and export of member data. The member themself sees their personal
    data but not the office's own fields; an office user without `view_personal` (an
    organizer) does not see date of birth, address or phone. `member=None`: a list."""
    if member is not None and member.user_id is not None and member.user_id == user.pk:
        return frozenset(Member.OFFICE_ONLY_FIELDS)
    if not user.has_perm(PERSONAL_PERMISSION):
        return frozenset(Member.PERSONAL_FIELDS)
    return frozenset()


def member_fields_editable_by(user: User) -> set[str] | None:
    """The fields of an existing member this user may change: all (None) with
    `change_membership`; contact data only for Staff (docs/design.md §3)."""
    if user.has_perm("members.change_membership"):
        return None
    return set(Member.CONTACT_FIELDS)


def members_matching(
    *, status: str = "", classification_id: object = "", search: str = ""
) -> QuerySet[Member]:
    """The member list as its filters choose it (the admin's list and its export)."""
    members = Member.objects.all()
    if status:
        members = members.filter(status=status)
    if str(classification_id).isdigit():
        members = members.filter(classification_id=int(classification_id))
    if term := search.strip():
        members = members_searched(members, term)
    return members


def members_searched(members: QuerySet[Member], term: str) -> QuerySet[Member]:
    """Members whose number is `term` (an index lookup, first: a whole number is a number,
    however many others contain it); else those with `term` in number, names or email."""
    exact = members.filter(member_number=term)
    if exact.exists():
        return exact
    return members.filter(
        Q(member_number__icontains=term)
        | Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(email__icontains=term)
    )


def member_numbers(member_ids: Iterable[int]) -> dict[int, str]:
    """Member id → member number, for many members in one query."""
    members = Member.objects.filter(Among(F("id"), list(member_ids)))
    return dict(members.values_list("id", "member_number"))


def member_notes_visible_to(user: User, *, include_deleted: bool = False) -> QuerySet[MemberNote]:
    """The notes this user may read (docs/design.md §3): the one rule every page, list, API and
    audit view of a note goes through.

    Admin reads all; Officers and Organizers read `officers` and `all_authorized` notes;
    Staff read `all_authorized` ones; each of them reads the `staff_only` notes they wrote.
    Members read none."""
    notes = (
        MemberNote.objects.all() if include_deleted else MemberNote.objects.filter(is_deleted=False)
    )
    return notes.filter(_note_readable(user))


def member_note_versions_readable(user: User, history_ids: Iterable[int]) -> set[int]:
    """Which of these past versions of notes the user may read: each by the visibility it
    had then (a note widened later keeps its earlier, private text private)."""
    versions = MemberNote.history.filter(history_id__in=list(history_ids))
    return set(versions.filter(_note_readable(user)).values_list("history_id", flat=True))


def _note_readable(user: User) -> Q:
    """The rule of member_notes_visible_to(), on the fields a note and each of its history
    rows share (visibility, author)."""
    nothing = Q(pk__in=[])
    if not user.is_authenticated or not user.is_active:
        return nothing
    if roles.user_is_admin(user):
        return Q()
    held = roles.user_roles(user)
    readable = nothing
    if held & {roles.OFFICER, roles.ORGANIZER}:
        readable |= Q(visibility__in=[NoteVisibility.OFFICERS, NoteVisibility.ALL_AUTHORIZED])
    if held & {roles.STAFF, roles.DISPATCHER}:
        readable |= Q(visibility=NoteVisibility.ALL_AUTHORIZED)
    if held & {roles.OFFICER, roles.ORGANIZER, roles.STAFF, roles.DISPATCHER}:
        readable |= Q(visibility=NoteVisibility.STAFF_ONLY, author=user)
    return readable


def note_visibilities_for(user: User) -> list[str]:
    """The visibilities a user may give a note: those they could read it under."""
    if roles.user_is_admin(user) or roles.user_roles(user) & {roles.OFFICER, roles.ORGANIZER}:
        return list(NoteVisibility.values)
    if roles.user_roles(user) & {roles.STAFF, roles.DISPATCHER}:
        return [NoteVisibility.STAFF_ONLY, NoteVisibility.ALL_AUTHORIZED]
    return []


def member_note_editable_by(note: MemberNote, user: User) -> bool:
    """Only a note's author, or an Admin, edits or deletes it."""
    return user.is_authenticated and (note.author_id == user.pk or roles.user_is_admin(user))
