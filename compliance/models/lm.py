"""The facts of a fiscal year the LM figures need (docs/design.md §10)."""

from __future__ import annotations

from django.db import models

from audit.history import AuditedHistoricalRecords
from dues.models import money_field


class FiscalYear(models.Model):
    """What the LM figures need that Union Hall does not keep: receipts outside dues (all
    funds count toward the form) and whether the local was under trusteeship."""

    year = models.PositiveSmallIntegerField(
        unique=True, help_text="The year the fiscal year ends in."
    )
    other_receipts = money_field(
        default=0, help_text="Receipts outside dues (interest, rents, grants...): they count."
    )
    in_trusteeship = models.BooleanField(
        default=False, help_text="A local in trusteeship files the LM-2 whatever its receipts."
    )
    note = models.TextField(blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"Fiscal year {self.year}"
