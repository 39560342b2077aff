"""The repeat-victimisation rule: the later of two cases naming one victim within 12 months."""

from __future__ import annotations

import itertools

from consumers.repeat_victims import NamedVictim, repeats


def named(case_ps: str, month: str) -> NamedVictim:
    return NamedVictim(case_ps, month, ["victim-2025", "victim-2026"])


def known_as(*cases: tuple[str, str]) -> dict[str, list[tuple[str, str]]]:
    return {"victim-2025": list(cases)}


def test_the_later_case_within_twelve_months_is_a_repeat() -> None:
    earlier, later = ("c1", "2025-02"), ("c2", "2026-02")
    assert repeats([named(*later)], known_as(earlier, later)) == {"c2"}
    # Judged from the earlier case's side (its victim named later in the log): the same flag.
    assert repeats([named(*earlier)], known_as(earlier, later)) == {"c2"}


def test_thirteen_months_apart_is_no_repeat() -> None:
    assert (
        repeats([named("c2", "2026-03")], known_as(("c1", "2025-02"), ("c2", "2026-03"))) == set()
    )


def test_two_cases_of_one_month_are_both_repeats() -> None:
    both = [("c1", "2025-06"), ("c2", "2025-06")]
    assert repeats([named("c1", "2025-06")], known_as(*both)) == {"c1", "c2"}


def test_a_case_alone_is_no_repeat_of_itself() -> None:
    assert repeats([named("c1", "2025-06")], known_as(("c1", "2025-06"))) == set()


def test_any_order_of_naming_gives_the_same_flags() -> None:
    """The flags of a victim named in three cases, whichever of them is judged and when."""
    cases = [("c1", "2024-11"), ("c2", "2025-06"), ("c3", "2026-05")]
    everything = known_as(*cases)
    expected = {"c2", "c3"}  # c2 within 12 months after c1, c3 within 12 after c2
    for order in itertools.permutations(cases):
        flagged: set[str] = set()
        for position, case in enumerate(order, start=1):
            seen_so_far = known_as(*order[:position])
            flagged |= repeats([named(*case)], seen_so_far)
        assert flagged == expected
    assert repeats([named(*c) for c in cases], everything) == expected
