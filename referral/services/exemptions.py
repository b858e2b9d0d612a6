"""Exemptions: a registrant excused from referral keeps their place; capped kinds end by
themselves unless an officer extends them."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from appkit.actors import Actor
from audit.actors import person, saved_by
from audit.context import actor_label_for

from .. import rules
from ..models import (
    CAPPED_EXEMPTIONS,
    EventKind,
    Exemption,
    Registration,
    RegistrationStatus,
)
from .common import _calendar_locked, _event, _locked, _require, _resign_due, _rules_on

# --- Exemptions ---------------------------------------------------------------------------


@transaction.atomic
def exemption_start(
    *,
    registration: Registration,
    kind: str,
    starts_on: datetime.date,
    actor: Actor,
    ends_on: datetime.date | None = None,
    note: str = "",
) -> Exemption:
    """Excuse a registrant from referral: they keep their place, are passed over as
    exempt, and do not re-sign meanwhile. A capped kind ends by itself after the rules' cap."""
    _require(actor, "referral.add_exemption", "approve exemptions")
    registration = _locked(registration)
    if registration.status != RegistrationStatus.REGISTERED:
        raise ValidationError(
            f"Only a registrant on the book can be exempted (this one is "
            f"{registration.get_status_display().lower()})."
        )
    now = timezone.now()
    today = timezone.localdate(now)
    rule_set = _rules_on(today)
    # An exemption takes effect when it is approved (nothing starts one later), and it does
    # not rescue a registration whose re-sign day has passed: the drop is owed.
    if starts_on > today:
        raise ValidationError(
            {"starts_on": "An exemption starts today or earlier: approve it on the day it begins."}
        )
    if rules.resign_missed(registration.resign_due, today):
        raise ValidationError(
            f"This registration's re-sign was due {registration.resign_due:%b %d, %Y}: it is "
            "dropped tonight, not exempted."
        )
    if kind in CAPPED_EXEMPTIONS:
        cap = rules.capped_exemption_end(starts_on, rule_set.exemption_cap_days)
        ends_on = min(ends_on or cap, cap)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": "An exemption cannot end before it starts."})
    exemption = Exemption(
        registration=registration,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        approved_by=person(actor),
        approved_by_name=actor_label_for(actor),
        note=note.strip(),
    )
    exemption.full_clean(exclude=["registration", "approved_by"])
    saved_by(exemption, actor=actor)
    registration.status = RegistrationStatus.EXEMPT
    saved_by(registration, actor=actor)
    _event(
        registration,
        EventKind.EXEMPTION_STARTED,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=kind,
    )
    return exemption


@transaction.atomic
def exemption_end(*, exemption: Exemption, actor: Actor) -> Exemption:
    """End an exemption: the registrant is back on the book in their place, with a fresh
    re-sign date."""
    _require(actor, "referral.add_exemption", "end exemptions")
    _calendar_locked(exemption.registration.book.region_id)
    registration = _locked(exemption.registration)
    exemption = Exemption.objects.select_for_update(no_key=True).get(pk=exemption.pk)
    if exemption.ended_at is not None:
        return exemption
    now = timezone.now()
    today = timezone.localdate(now)
    rule_set = _rules_on(today)
    exemption.ended_at = now
    saved_by(exemption, actor=actor)
    registration.status = RegistrationStatus.REGISTERED
    registration.resign_due = _resign_due(registration.book, today, rule_set)
    saved_by(registration, actor=actor)
    _event(
        registration,
        EventKind.EXEMPTION_ENDED,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=exemption.kind,
    )
    return exemption


@transaction.atomic
def exemption_extend(
    *, exemption: Exemption, ends_on: datetime.date, reason: str, actor: Actor
) -> Exemption:
    """An officer extends an exemption past its end (a capped one past the rules' cap)."""
    _require(actor, "referral.extend_exemption", "extend exemptions")
    exemption = Exemption.objects.select_for_update(no_key=True).get(pk=exemption.pk)
    if exemption.ended_at is not None:
        raise ValidationError("This exemption has ended: start a new one.")
    if not reason.strip():
        raise ValidationError({"extension_reason": "Say why the exemption is extended."})
    if exemption.ends_on is not None and ends_on <= exemption.ends_on:
        raise ValidationError({"ends_on": f"Extend it past {exemption.ends_on:%b %d, %Y}."})
    exemption.ends_on = ends_on
    exemption.extended_by = person(actor)
    exemption.extension_reason = reason.strip()
    saved_by(exemption, actor=actor)
    return exemption


def exemptions_end_due(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """End every exemption whose end date has passed (the local's date); idempotent."""
    today = timezone.localdate(now or timezone.now())
    ended = 0
    for pk in Exemption.objects.filter(ended_at__isnull=True, ends_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            # Read again under its lock: an officer's extension made since keeps it.
            exemption = Exemption.objects.select_for_update(no_key=True).get(pk=pk)
            if exemption.ended_at is not None or not exemption.ends_on < today:
                continue
            exemption_end(exemption=exemption, actor=actor)
        ended += 1
    return ended
