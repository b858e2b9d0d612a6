"""The set-based trail's PostgreSQL functions write what Python writes: a string quoted as
json.dumps(ensure_ascii=True) quotes it, a run of events hashed as event_hash chains them.
(Each model's declared SQL is held equal to its Python by its own app's tests.)"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.chain import GENESIS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# PostgreSQL text holds every character but NUL.
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


def _sql(statement: str, params) -> object:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


@settings(max_examples=300, deadline=None)
@given(value=TEXT)
def test_a_string_is_quoted_as_python_quotes_it(value):
    assert _sql("SELECT audit_json_string(%s)", [value]) == json.dumps(value, ensure_ascii=True)


@pytest.mark.parametrize(
    "value",
    ['plain "quoted" \\ back', "tab\tnew\nline\x01\x1f\x7f", "José Müller", "emoji 🙂 𝄞", ""],
)
def test_the_strings_a_member_record_holds_are_quoted_as_python_quotes_them(value):
    assert _sql("SELECT audit_json_string(%s)", [value]) == json.dumps(value, ensure_ascii=True)


@settings(max_examples=50, deadline=None)
@given(items=st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=126)), max_size=20))
def test_a_run_of_events_is_hashed_each_after_the_one_before(items):
    expected, prev = [], GENESIS
    for item in items:
        prev = hashlib.sha256(f"{prev}|{item}".encode()).hexdigest()
        expected.append(prev)
    assert _sql("SELECT audit_chain_hashes(%s, %s::text[])", [GENESIS, items]) == expected


@settings(max_examples=100, deadline=None)
@given(value=st.times())
def test_a_time_is_written_as_python_writes_it(value):
    """A request's start time: microseconds only when it has any, as time.isoformat()."""
    from django.db import models

    from audit.in_sql import _json_of
    from audit.services import jsonable

    field = models.TimeField()
    written = _sql(f"SELECT {_json_of(field, 'r.t')} FROM (SELECT %s::time AS t) r", [value])
    assert written == json.dumps(jsonable(value))
