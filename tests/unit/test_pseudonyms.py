"""Keyed pseudonyms: stable within an epoch, unrelated across epochs and keys; the key stays out."""

from __future__ import annotations

import contextlib
import datetime as dt
import stat
from pathlib import Path

import pytest

from consumers import generalise as g
from schemas.institutions import MUNICIPALITIES
from services.platform.pseudonyms import Pseudonymiser, epoch_of, epochs_between, load_key
from services.platform.settings import Settings

KEY = b"k" * 32
SUBJECT = "0b1c9d36-55f6-4a0e-8b8e-6f2f0c1d2e3f"


def test_same_subject_same_epoch_same_pseudonym_and_different_across_epochs() -> None:
    ps = Pseudonymiser(KEY, "year")
    assert ps.pseudonym("subject", SUBJECT, "2026") == ps.pseudonym("subject", SUBJECT, "2026")
    assert ps.pseudonym("subject", SUBJECT, "2026") != ps.pseudonym("subject", SUBJECT, "2027")
    assert ps.pseudonym("subject", SUBJECT, "2026") != ps.pseudonym("case", SUBJECT, "2026")
    other = Pseudonymiser(b"z" * 32, "year")
    assert other.pseudonym("subject", SUBJECT, "2026") != ps.pseudonym("subject", SUBJECT, "2026")
    assert SUBJECT.replace("-", "") not in ps.pseudonym("subject", SUBJECT, "2026")
    assert "k" * 16 not in repr(ps)


def test_epochs_follow_event_time() -> None:
    at = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    assert [epoch_of(at, s) for s in ("year", "quarter", "month", "none")] == [
        "2026", "2026-Q4", "2026-11", "all"
    ]  # fmt: skip
    start = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    assert epochs_between(start, at, "year") == ["2025", "2026"]
    assert len(epochs_between(start, at, "month")) == 12
    with pytest.raises(ValueError):
        epoch_of(at, "week")  # type: ignore[arg-type]


def test_a_sealed_instant_opens_only_with_its_id() -> None:
    ps = Pseudonymiser(KEY)
    at = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC)
    sealed = ps.seal_instant("referral-due", SUBJECT, "2026", at)
    assert ps.open_instant("referral-due", SUBJECT, "2026", sealed) == at
    with contextlib.suppress(ValueError):  # most wrong ids do not even give a date
        assert ps.open_instant("referral-due", "another", "2026", sealed) != at
    assert str(sealed) not in at.isoformat()


def test_the_key_file_is_created_once_outside_the_aggregate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POVEZIMO_PSEUDONYM_KEY", raising=False)  # the file, not a given key
    settings = Settings(data_dir=tmp_path)
    first = load_key(settings)
    assert len(first) == 32 and load_key(settings) == first
    path = tmp_path / "keys" / "pseudonym.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(Settings(data_dir=tmp_path, pseudonym_key="s" * 20)) == b"s" * 20
    with pytest.raises(ValueError, match="at least"):
        load_key(Settings(data_dir=tmp_path, pseudonym_key="short"))
    inside = Settings(data_dir=tmp_path, pseudonym_key_file=tmp_path / "aggregate.db")
    with pytest.raises(ValueError, match="outside"):
        load_key(inside)


def test_quasi_identifiers_are_generalised() -> None:
    at = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert [g.age_band(y, at) for y in (2020, 1990, 1987, 1940, None, 2030)] == [
        "0-9", "30-39", "30-39", "80+", "unknown", "unknown"
    ]  # fmt: skip
    assert g.month_of(at) == "2026-06" and g.quarter_of("2026-06") == "2026-Q2"
    assert g.area_of("smederevska-palanka", 20_000) == "smederevska-palanka"
    assert g.area_of("grocka", 20_000) == "pool:other"
    assert g.months_apart("2025-12", "2026-03") == 3


def test_no_published_place_is_one_small_municipality_under_another_name() -> None:
    """Golubac (6,744 people) is alone in its district: a district pool would be Golubac under
    another name, so it is pooled with the least populous municipality of the region instead."""
    assert g.area_of("golubac", 20_000) == g.area_of("cuprija", 20_000) == "pool:cuprija+golubac"
    for pool_below in (20_000, 30_000, 50_000, 100_000):
        members: dict[str, list[str]] = {}
        for slug, area in g.areas(pool_below).items():
            members.setdefault(area, []).append(slug)
        for area, slugs in members.items():
            people = sum(MUNICIPALITIES[s].population for s in slugs)
            if area.startswith("pool:"):
                assert len(slugs) >= 2 and people >= pool_below, (pool_below, area)
            else:
                assert slugs == [area] and people >= pool_below, (pool_below, area)
