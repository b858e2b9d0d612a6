"""The same request by the same person, while its job is unfinished, gives that job: the
jobs service decides it for every start, whatever view asks (a double click, a reload, a
second tab), and the database holds it when two starts race."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from accounts import roles
from jobs.models import Job, JobStatus
from jobs.services import job_kind, job_retry, job_start
from jobs.tests.helpers import database_queue, worker_batch
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _export(actor, key: str, **params) -> Job:
    return job_start(
        kind=job_kind("audit.export"),
        key=key,
        label="Export",
        actor=actor,
        params={"newest_id": 0, **params},
    )


def test_the_same_request_by_the_same_person_gives_their_unfinished_job(settings):
    database_queue(settings)
    officer, other = UserFactory(role=roles.OFFICER), UserFactory(role=roles.OFFICER)
    first = _export(officer, "one key", action="create")
    # However the view names its key, the same kind, starter and parameters are one job.
    assert _export(officer, "another key", action="create").pk == first.pk
    assert _export(officer, "a third", action="update").pk != first.pk
    assert _export(other, "a fourth", action="create").pk != first.pk
    assert Job.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_once_the_job_is_done_the_same_request_starts_a_new_one(settings):
    database_queue(settings)
    officer = UserFactory(role=roles.OFFICER)
    first = _export(officer, "k1", action="create")
    worker_batch()
    first.refresh_from_db()
    assert first.status == JobStatus.SUCCEEDED, first.error
    assert _export(officer, "k2", action="create").pk != first.pk


def test_two_different_files_are_two_jobs_and_the_same_file_one(settings, tmp_path):
    database_queue(settings)
    settings.MEDIA_ROOT = tmp_path
    officer = UserFactory(role=roles.OFFICER)

    def check(content: bytes, key: str) -> Job:
        return job_start(
            kind=job_kind("members.import_check"),
            key=key,
            label="Check",
            actor=officer,
            upload=ContentFile(content, name="members.csv"),
        )

    first = check(b"member_number\n1\n", "a")
    assert check(b"member_number\n1\n", "b").pk == first.pk
    assert check(b"member_number\n2\n", "c").pk != first.pk


def test_a_key_longer_than_its_column_finds_its_job_again(settings):
    database_queue(settings)
    officer = UserFactory(role=roles.OFFICER)
    key = "audit.export:" + "actor_label=" + "x" * 300
    first = _export(officer, key, search="1")
    assert _export(officer, key, search="2").pk == first.pk  # the same key: the same work
    assert len(first.key) <= 200


def test_a_retry_of_work_started_again_meanwhile_says_so(settings):
    database_queue(settings)
    officer = UserFactory(role=roles.OFFICER)
    failed = _export(officer, "k", action="create")
    Job.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED, error="It failed.")
    again = _export(officer, "k", action="create")
    assert again.pk != failed.pk
    failed.refresh_from_db()
    with pytest.raises(ValidationError, match="already queued or running"):
        job_retry(job=failed, actor=officer)


def test_the_database_holds_one_unfinished_job_per_request(settings):
    """Two starts that both looked before either wrote: the unique index decides."""
    database_queue(settings)
    officer = UserFactory(role=roles.OFFICER)
    first = _export(officer, "k1", action="create")
    with (
        pytest.raises(
            # PostgreSQL names the index, SQLite its column.
            IntegrityError,
            match=r"job_one_active_per_fingerprint|jobs_job\.fingerprint",
        ),
        transaction.atomic(),
    ):
        Job.objects.create(
            kind="audit.export", key="k2", label="Export", fingerprint=first.fingerprint
        )


def test_two_system_actors_asking_the_same_are_told_apart(settings):
    """A system actor is known by its name, as a person by their id: the same request by
    two of them is two jobs (it was one when both counted as nobody), by one of them one."""
    database_queue(settings)
    first = _export("nightly-export", "one key", action="create")
    assert _export("nightly-export", "another key", action="create").pk == first.pk
    assert _export("office-sync", "a third key", action="create").pk != first.pk
