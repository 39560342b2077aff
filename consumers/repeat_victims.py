"""Repeat victimisation in the regional aggregate: a victim named again within 12 months.

A case is a repeat when its victim was a victim of another case opened in the 12 calendar months
before it; two such cases in the same month are both repeats (exact dates are not kept). The
aggregate keeps no person across epochs, so the lookup computes the person's pseudonyms of the
neighbouring epochs on purpose: this is the one bounded linkage across epochs.

The rule is symmetric and only ever sets the flag, so judging each newly named victim against
every case written so far gives the same flags whatever the batching or the order partitions are
read in, as long as writers take turns (SQLite lets one in at a time; on PostgreSQL an advisory
lock is held to the commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select, text, update

from consumers import generalise as g
from consumers.aggregate_tables import cases, subjects
from consumers.rows import IN_CHUNK

REPEAT_MONTHS = 12


@dataclass(frozen=True)
class NamedVictim:
    """A victim a case named for the first time: the case, its month, and the person's
    pseudonyms in every epoch of the 12 months around it."""

    case_ps: str
    month: str
    pseudonyms: Sequence[str]


def repeats(
    named: Iterable[NamedVictim], known: Mapping[str, Sequence[tuple[str, str]]]
) -> set[str]:
    """The cases to flag, given ``known``: for each pseudonym, the cases (and their months)
    that name it as a victim (the new ones included)."""
    flagged: set[str] = set()
    for victim in named:
        for subject_ps in victim.pseudonyms:
            for other_ps, other_month in known.get(subject_ps, ()):
                if other_ps == victim.case_ps:
                    continue
                apart = g.months_apart(other_month, victim.month)
                if abs(apart) > REPEAT_MONTHS:
                    continue
                if apart >= 0:
                    flagged.add(victim.case_ps)
                if apart <= 0:
                    flagged.add(other_ps)
    return flagged


def flag_repeats(tx: Connection, named: Sequence[NamedVictim]) -> list[str]:
    """Flag, in the aggregate's tables, the repeats the newly named victims make (their rows are
    written already); returns the cases flagged."""
    if not named:
        return []
    if tx.dialect.name == "postgresql":
        tx.execute(text("SELECT pg_advisory_xact_lock(hashtext('povezimo.aggregate.repeat'))"))
    known = victims_of({ps for victim in named for ps in victim.pseudonyms}, tx)
    flagged = sorted(repeats(named, known))
    for start in range(0, len(flagged), IN_CHUNK):
        chunk = flagged[start : start + IN_CHUNK]
        tx.execute(update(cases).where(cases.c.case_ps.in_(chunk)).values(repeat=True))
    return flagged


def victims_of(pseudonyms: set[str], tx: Connection) -> dict[str, list[tuple[str, str]]]:
    """Cases (pseudonym and month) naming each of ``pseudonyms`` as a victim."""
    found: dict[str, list[tuple[str, str]]] = {}
    wanted = sorted(pseudonyms)
    for start in range(0, len(wanted), IN_CHUNK):
        rows = tx.execute(
            select(subjects.c.subject_ps, cases.c.case_ps, cases.c.month)
            .join(cases, subjects.c.case_ps == cases.c.case_ps)
            .where(subjects.c.subject_ps.in_(wanted[start : start + IN_CHUNK]))
            .where(subjects.c.role == "VICTIM")
        )
        for row in rows:
            found.setdefault(row.subject_ps, []).append((row.case_ps, row.month))
    return found
