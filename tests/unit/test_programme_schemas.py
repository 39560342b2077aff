"""The programme's schemas keep to the registry's rule (FULL_TRANSITIVE, decision 0007): a later
version that adds an optional field with a default, or a symbol to an enum with a default, reads
and is read by every earlier one; a field without a default is refused. And they hold no person."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from consumers.admission import programme_time_problem, time_problem
from schemas import catalogue
from schemas.institutions import PROGRAMME_EVENTS, PUBLISHABLE
from schemas.registry.compatibility import Compatibility, check

FULL = Compatibility.FULL_TRANSITIVE
RECEIVED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def schema(name: str) -> dict[str, Any]:
    return copy.deepcopy(catalogue().event(name).schema)


@pytest.mark.parametrize("name", sorted(PROGRAMME_EVENTS))
def test_a_new_optional_field_with_a_default_is_compatible_both_ways(name: str) -> None:
    later = schema(name)
    later["fields"].append(
        {"name": "note_code", "type": ["null", "string"], "default": None, "doc": "later"}
    )
    assert check(later, [(1, schema(name))], FULL).compatible


@pytest.mark.parametrize("name", sorted(PROGRAMME_EVENTS))
def test_a_new_field_without_a_default_is_refused(name: str) -> None:
    later = schema(name)
    later["fields"].append({"name": "required_later", "type": "string", "doc": "later"})
    assert not check(later, [(1, schema(name))], FULL).compatible


def test_a_new_kind_of_activity_is_read_by_old_readers_as_other() -> None:
    later = schema("ActivityHeld")
    kind = next(f for f in later["fields"] if f["name"] == "kind")
    kind["type"]["symbols"].append("EXHIBITION")
    assert check(later, [(1, schema("ActivityHeld"))], FULL).compatible


def _fields(value: Any) -> list[str]:
    if isinstance(value, dict):
        names = [f["name"] for f in value.get("fields", [])]
        for key in ("fields", "items", "type", "values"):
            inner = value.get(key)
            if isinstance(inner, list):
                names += [n for item in inner for n in _fields(item)]
            elif isinstance(inner, dict):
                names += _fields(inner)
        return names
    if isinstance(value, list):
        return [n for item in value for n in _fields(item)]
    return []


@pytest.mark.parametrize("name", sorted(PROGRAMME_EVENTS))
def test_no_programme_event_has_a_field_for_a_person(name: str) -> None:
    names = set(_fields(schema(name)))
    assert not names & {"sealed", "subject_id", "given_name", "family_name", "jmbg", "address",
                        "phone", "name", "speaker", "participant_names"}  # fmt: skip


def test_only_the_coordinating_ngo_and_local_governments_record_programme_work() -> None:
    publishers = {kind for kind, events in PUBLISHABLE.items() if events & PROGRAMME_EVENTS}
    assert publishers == {"NGO", "LOCAL_GOVERNMENT"}


def test_a_programme_event_may_be_dated_before_the_law_but_not_before_2002() -> None:
    def header(occurred: dt.datetime) -> dict[str, Any]:
        return {"occurred_at": occurred, "recorded_at": RECEIVED}

    seminar = header(dt.datetime(2006, 10, 10, tzinfo=dt.UTC))
    skew = dt.timedelta(minutes=5)
    assert programme_time_problem(seminar, RECEIVED, skew) is None
    assert time_problem(seminar, RECEIVED, skew)[0] == "occurred_before_law"  # type: ignore[index]
    broken = header(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    assert programme_time_problem(broken, RECEIVED, skew)[0] == "occurred_before_programmes"  # type: ignore[index]
