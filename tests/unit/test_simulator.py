"""The simulated network looks like the observed one, and is the same for a seed."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import Counter

import pytest

from producers.identities import jmbg_is_valid
from producers.scenario import HOUR
from producers.simulator import (
    CASES_PER_100K_A_YEAR,
    POPULATION,
    Simulation,
    recorded_at,
    simulate,
)
from schemas.institutions import InstitutionRegistry, may_publish

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def year() -> Simulation:
    # A quarter of the real rate keeps the test fast; the rates per case are what is checked.
    return simulate(11, start=START, months=12, scale=0.25)


def test_cases_follow_the_population_at_425_per_100000_a_year(year: Simulation) -> None:
    per_municipality = Counter(c.municipality for c in year.cases)
    for municipality, population in POPULATION.items():
        expected = population * CASES_PER_100K_A_YEAR / 100_000 * 0.25
        assert abs(per_municipality[municipality] - expected) <= 1, municipality
    assert all(START <= c.opened_at < year.end for c in year.cases)


def test_events_per_case_average_15_to_25_with_a_heavy_tail(year: Simulation) -> None:
    # Cases opened near the end are cut at the end of the period; judge those opened in time.
    settled = [c for c in year.cases if c.opened_at < year.end - dt.timedelta(days=200)]
    counts = [len(c.submissions) for c in settled]
    assert 15 <= statistics.mean(counts) <= 25
    standard = [len(c.submissions) for c in settled if c.risk == "STANDARD"]
    assert statistics.median(standard) in range(5, 9)
    assert sum(5 <= n <= 9 for n in standard) / len(standard) > 0.85
    assert max(counts) >= 60
    assert sum(n >= 60 for n in counts) >= 3


def test_violence_and_sex_mixes(year: Simulation) -> None:
    violence = Counter(v for c in year.cases for v in c.violence_types)
    ranked = [v for v, _ in violence.most_common()]
    assert ranked[0] == "PSYCHOLOGICAL"
    assert violence["ECONOMIC"] / len(year.cases) < 0.1
    assert violence["SEXUAL"] / len(year.cases) < 0.06
    victims = [c.household.victim_female for c in year.cases]
    perpetrators = [not c.household.perpetrator_female for c in year.cases]
    assert 0.70 <= sum(victims) / len(victims) <= 0.86
    assert 0.80 <= sum(perpetrators) / len(perpetrators) <= 0.92


def test_repeat_victimisation_and_breaches(year: Simulation) -> None:
    repeats = sum(c.repeat for c in year.cases) / len(year.cases)
    assert 0.25 <= repeats <= 0.35
    # A repeat names the same victim as a case of the same municipality within 12 months.
    first_seen: dict[object, tuple[str, dt.datetime]] = {}
    for case in sorted(year.cases, key=lambda c: c.opened_at):
        if case.repeat:
            municipality, when = first_seen[case.household.victim]
            assert municipality == case.municipality
            assert case.opened_at - when < dt.timedelta(days=365)
        first_seen.setdefault(case.household.victim, (case.municipality, case.opened_at))
    measures = sum(c.urgent_measures for c in year.cases)
    breaches = sum(c.breaches for c in year.cases)
    assert measures > 100
    assert 0.05 <= breaches / measures <= 0.13


def test_only_what_the_schemas_and_the_registry_allow(year: Simulation) -> None:
    registry = InstitutionRegistry.default()
    for case in year.cases:
        times = [s.event.header.recorded_at for s in case.submissions]  # type: ignore[attr-defined]
        assert times == sorted(times)
        for submission in case.submissions:
            if submission.event_id in year.deliberate:
                continue
            institution = registry.get(submission.institution)
            assert institution is not None, submission.institution
            assert may_publish(institution.kind, submission.event_type)
            assert submission.event.header.source_institution == submission.institution  # type: ignore[attr-defined]
    assert set(year.deliberate.values()) == {
        "source_mismatch",
        "event_type_not_permitted",
        "unknown_recipient",
        "unknown_case",
        "occurred_in_future",
    }


def test_statutory_timings_with_some_late_institutions(year: Simulation) -> None:
    late = Counter[str]()
    proposals = Counter[str]()
    for case in year.cases:
        for s in case.submissions:
            if s.event_type == "ExtensionProposed":
                proposals[s.institution] += 1
                if s.event.proposed_at > s.event.proposal_due_at:  # type: ignore[attr-defined]
                    late[s.institution] += 1
    # Most proposals come within 24 h of service; a few offices are late now and then.
    assert 0 < sum(late.values()) / sum(proposals.values()) < 0.1
    # The coordination group meets every 14 days in a case it follows.
    for case in year.cases:
        held = [s.event.held_at for s in case.submissions if s.event_type == "CaseConferenceHeld"]  # type: ignore[attr-defined]
        assert all(b - a == dt.timedelta(days=14) for a, b in itertools.pairwise(held))


def test_referrals_reach_the_ngo_legal_aid_and_the_mobile_teams(year: Simulation) -> None:
    recipients = Counter(
        s.event.to_institution  # type: ignore[attr-defined]
        for c in year.cases
        for s in c.submissions
        if s.event_type == "ReferralSent" and s.event_id not in year.deliberate
    )
    assert recipients["ngo.azc"] > 100
    assert any(r.startswith("legal-aid.") for r in recipients)
    assert recipients["mobile-team.vozdovac"] > 0 and recipients["mobile-team.palilula"] > 0


def test_the_same_seed_gives_the_same_events_and_another_seed_others() -> None:
    def fingerprint(sim: Simulation) -> list[tuple[str, str, str]]:
        return [(str(s.event_id), s.event_type, s.institution) for s in sim.submissions()]

    first = simulate(5, start=START, months=2, scale=0.2)
    again = simulate(5, start=START, months=2, scale=0.2)
    other = simulate(6, start=START, months=2, scale=0.2)
    assert fingerprint(first) == fingerprint(again)
    assert first.deliberate == again.deliberate
    assert fingerprint(first) != fingerprint(other)


def test_batches_keep_each_case_in_order_and_one_writer_per_case() -> None:
    sim = simulate(3, start=START, months=2, scale=0.2)
    batches = sim.batches(span=6 * HOUR)
    flat = [s for b in batches for s in b]
    assert len(flat) == sim.event_count
    position = {s.event_id: n for n, s in enumerate(flat)}
    for case in sim.cases:
        assert [position[s.event_id] for s in case.submissions] == sorted(
            position[s.event_id] for s in case.submissions
        )
    for batch in batches:
        writers: dict[object, set[str]] = {}
        for s in batch:
            writers.setdefault(s.case_id, set()).add(s.institution)
        assert all(len(w) == 1 for w in writers.values())
        times = [recorded_at(s) for s in batch]
        assert max(times) - min(times) <= 6 * HOUR  # never further from the order of time
    # Answers by another institution wait for a later batch, not for every case's next one.
    changes = sum(
        a.institution != b.institution
        for case in sim.cases
        for a, b in zip(case.submissions, case.submissions[1:], strict=False)
    )
    assert len(batches) < changes / 2


def test_people_are_synthetic_with_valid_jmbg() -> None:
    sim = simulate(8, start=START, months=1, scale=0.1)
    from producers.scenario import CaseScript  # noqa: F401  (people are kept by the script)

    registered = [
        s for c in sim.cases for s in c.submissions if s.event_type == "SubjectRegistered"
    ]
    assert registered
    # Without a vault the sealed field is the placeholder: the identifiers are not in the event.
    for s in registered:
        assert s.event.sealed.ciphertext != b""  # type: ignore[attr-defined]
    assert jmbg_is_valid("1403985716235")
