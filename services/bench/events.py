"""The events every measurement uses, generated once per run from a seed.

``bench_events`` is the one source: today the scripted statutory cases of
``producers.scenario`` (many cases, interleaved as institutions would submit them); the network
simulator replaces it behind the same signature. ``EventSet`` holds them encoded once (Confluent
framing, the bytes an institution submits and the exchange appends unchanged) so every
measurement reads the same records.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from producers.scenario import Submission, coordinated_case, in_waves
from schemas import Codec

# The municipalities of the seed network whose every institution kind is registered.
MUNICIPALITIES = ("lazarevac", "palilula", "zvezdara", "vozdovac", "kragujevac", "golubac")
# After the Law on Prevention of Domestic Violence applied (1 June 2017): the exchange refuses
# anything earlier.
START = dt.datetime(2018, 1, 8, 8, tzinfo=dt.UTC)
# About 28,000 cases a year in a national deployment: one case every ~19 minutes.
CASE_SPACING = dt.timedelta(minutes=19)
# Cases opened close together interleave in the log, as institutions act on them in parallel.
CASES_IN_FLIGHT = 16


def bench_events(
    n: int, seed: int, *, cases_in_flight: int = CASES_IN_FLIGHT
) -> Iterator[Submission]:
    """Exactly ``n`` submissions, deterministic for ``seed``, in the order they are submitted.

    ``cases_in_flight`` cases interleave (the k-th event of each, then the (k+1)-th): at a paced
    load, more cases in flight leave more time between two events of one case.
    """
    rng = random.Random(seed)
    produced = 0
    case_number = 0
    while produced < n:
        block = []
        for _ in range(cases_in_flight):
            municipality = MUNICIPALITIES[case_number % len(MUNICIPALITIES)]
            block.append(coordinated_case(rng, START + case_number * CASE_SPACING, municipality))
            case_number += 1
        for wave in in_waves(block):
            for submission in wave:
                if produced == n:
                    return
                yield submission
                produced += 1


@dataclass
class EventSet:
    """Encoded submissions, column by column (compact enough for a million in memory)."""

    seed: int
    institutions: list[str] = field(default_factory=list)
    keys: list[bytes] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        n: int,
        seed: int,
        codec: Codec,
        progress: Callable[[int], object] | None = None,
        *,
        cases_in_flight: int = CASES_IN_FLIGHT,
    ) -> EventSet:
        events = cls(seed)
        # Institution and event-type names repeat: intern them so a million rows share strings.
        names: dict[str, str] = {}
        for count, submission in enumerate(
            bench_events(n, seed, cases_in_flight=cases_in_flight), start=1
        ):
            event_type = submission.event_type
            events.institutions.append(
                names.setdefault(submission.institution, submission.institution)
            )
            events.event_types.append(names.setdefault(event_type, event_type))
            events.keys.append(str(submission.case_id).encode())
            events.values.append(codec.encode(event_type, submission.event.to_avro()))
            events.event_ids.append(str(submission.event_id))
            if progress and count % 1000 == 0:
                progress(1000)
        if progress:
            progress(len(events) % 1000)
        return events

    def __len__(self) -> int:
        return len(self.values)

    def head(self, n: int) -> EventSet:
        """The first ``n`` events (a smaller run of the same log)."""
        return EventSet(
            self.seed,
            self.institutions[:n],
            self.keys[:n],
            self.values[:n],
            self.event_types[:n],
            self.event_ids[:n],
        )

    def submissions(self) -> Iterator[tuple[str, bytes, bytes]]:
        """``(topic, key, value)`` as each institution submits it."""
        for institution, key, value in zip(self.institutions, self.keys, self.values, strict=True):
            yield f"submissions.{institution}", key, value

    @property
    def payload_bytes(self) -> int:
        return sum(map(len, self.values))
