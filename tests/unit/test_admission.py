"""The bounds every submission keeps before its rules are read: size, lengths, times."""

from __future__ import annotations

import datetime as dt

from consumers.admission import (
    EARLIEST_OCCURRED_AT,
    MAX_ITEMS,
    MAX_STRING_CHARS,
    MAX_SUBMISSION_BYTES,
    field_problem,
    oversized_fields,
    size_problem,
    time_problem,
)

RECEIVED = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
SKEW = dt.timedelta(minutes=5)


def header(occurred: dt.datetime, recorded: dt.datetime | None = None) -> dict[str, object]:
    return {"occurred_at": occurred, "recorded_at": recorded or occurred}


def test_a_submission_up_to_the_bound_is_admitted_and_one_byte_more_is_not() -> None:
    assert size_problem(b"x" * MAX_SUBMISSION_BYTES) is None
    assert size_problem(None) is None
    problem = size_problem(b"x" * (MAX_SUBMISSION_BYTES + 1))
    assert problem is not None and problem[0] == "record_too_large"


def test_oversized_fields_are_named_by_their_path() -> None:
    event = {
        "header": {"consent_ref": "ж" * (MAX_STRING_CHARS + 1), "actor_role": "JUDGE"},
        "subject_ids": ["a"] * (MAX_ITEMS + 1),
        "measures": [{"description_code": "x" * MAX_STRING_CHARS}],
    }
    assert list(oversized_fields(event)) == ["header.consent_ref", "subject_ids"]
    problem = field_problem(event)
    assert problem is not None and problem[0] == "field_too_long"
    assert "header.consent_ref" in problem[1]


def test_strings_at_the_bound_pass() -> None:
    assert field_problem({"a": "x" * MAX_STRING_CHARS, "b": list(range(MAX_ITEMS))}) is None


def test_an_act_before_the_law_applied_is_refused() -> None:
    before = EARLIEST_OCCURRED_AT - dt.timedelta(seconds=1)
    assert time_problem(header(before), RECEIVED, SKEW)[0] == "occurred_before_law"  # type: ignore[index]
    assert time_problem(header(EARLIEST_OCCURRED_AT), RECEIVED, SKEW) is None
    late_record = header(EARLIEST_OCCURRED_AT, dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    assert time_problem(late_record, RECEIVED, SKEW)[0] == "recorded_before_law"  # type: ignore[index]


def test_recorded_after_its_receipt_beyond_the_skew_is_refused() -> None:
    occurred = RECEIVED - dt.timedelta(hours=1)
    assert time_problem(header(occurred, RECEIVED + SKEW), RECEIVED, SKEW) is None
    future = header(occurred, RECEIVED + SKEW + dt.timedelta(seconds=1))
    assert time_problem(future, RECEIVED, SKEW)[0] == "recorded_in_future"  # type: ignore[index]
