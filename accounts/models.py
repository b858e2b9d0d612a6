from __future__ import annotations

from django.db import models


class AttemptCount(models.Model):
    """How many attempts one key (a username, an address, a throttle's client) made in its
    window, counted atomically by accounts/counting.py when the shared cache is the
    database. Not a record: a count is worthless once its window ends, and is swept."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.IntegerField()
    ends_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.ends_at:%H:%M:%S}"
