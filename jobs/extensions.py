"""What other apps add to jobs (appkit/extensions.py): the kinds of long work they hand to
a worker, and the work that runs on a schedule."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from appkit.extensions import ExtensionPoint

if TYPE_CHECKING:
    from .models import Job
    from .progress import Progress


class JobFailed(Exception):
    """Raised by a kind's work to fail its job with this sentence, written for whoever
    started it ("The file has no member_number column."). A ValidationError's messages are
    shown too; any other error is a bug or an outage: it is logged with its trace, and the
    job's page says only that the work stopped on an error it did not expect."""


class JobRefused(JobFailed):
    """Raised by a kind's work that decided not to write: what it was asked to do no longer
    holds (the list an officer confirmed is not what the records give now). Its job fails
    with this sentence, as a refusal: running the same job again would only refuse again,
    so its page offers no Retry but the way back to where the work is started afresh. A
    ValidationError the work raises is a refusal too (a service said no)."""


@dataclass(frozen=True)
class JobObject:
    """What a job works on, for its page's "Back to <label>" link: the page named `url_name`
    (or worked out from the job, where the kind's parameters choose it), given the job's
    parameter `param` or its outcome's `outcome` (a batch the job made) as its argument, and
    the parameters in `query` as its query string. A job missing what the link needs (a
    batch not made yet) has no such link: the kind's next object, or the jobs, is offered."""

    label: str
    url_name: str | Callable[[Job], str]
    param: str = ""
    outcome: str = ""
    query: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobKind:
    """One kind of long work. `run(job, progress)` does it (idempotent: a retry or a second
    run does no harm) and returns its outcome: counts, a message, row errors; it fails by
    raising JobFailed with a sentence, or refuses by raising JobRefused (or ValidationError).
    `permission` is what a user needs to start it. `back` names what it works on (a
    `JobObject`, or several, the first a job has wins), so that its page leads back there,
    and a refused job's page to where it is started again."""

    name: str
    label: str
    permission: str
    run: Callable[[Job, Progress], dict[str, Any]]
    back: JobObject | tuple[JobObject, ...] = ()


@dataclass(frozen=True)
class Scheduled:
    """A job started by the scheduler every `every`, at `at` past the start of the period
    (daily at 02:00: every=1 day, at=2 hours). Once per period, however many schedulers run."""

    kind: JobKind
    every: datetime.timedelta
    at: datetime.timedelta = datetime.timedelta(0)
    params: dict[str, Any] = field(default_factory=dict)


JOB_KINDS = ExtensionPoint(
    "jobs.kinds", "JobKind: long work an app hands to a worker (with a progress page)."
)
SCHEDULE = ExtensionPoint("jobs.schedule", "Scheduled: a job started on a schedule.")
RUN_CONTEXTS = ExtensionPoint(
    "jobs.run_context",
    "A function(job) giving a context manager the job's work runs inside (audit: who acts).",
)
