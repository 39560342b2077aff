"""The seed network's traffic: nine municipalities at the observed rate of police-recorded cases.

About 425 police-recorded cases per 100,000 inhabitants a year (2022 census populations), each case
written by ``casework.CaseWriter``; about 30 % of reports concern a victim reported within the last
12 months (the same household again). A small share of submissions is deliberately wrong — a
source that disagrees with the topic, an event type the institution's kind may not publish, a
referral to an institution nobody registered, work on a case the institution takes no part in, a
time in the future — so a run shows the exchange refusing them; ``Simulation.deliberate`` names
each with the rejection code it must get.

Everything is drawn from ``random.Random(seed)``: the same seed and start give the same events.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from producers.casework import (
    FEMALE_VICTIM,
    MALE_PERPETRATOR,
    OPENERS,
    RELATIONSHIPS,
    RISKS,
    VIOLENCE,
    CaseWriter,
    Household,
    SimulatedCase,
    pick,
)
from producers.event_builder import new_event, new_header
from producers.scenario import DAY, HOUR, CaseScript, Submission, serving
from services.platform.vault import KeyVault

# 2022 census, approximately.
POPULATION = {
    "lazarevac": 55_146,
    "palilula": 182_624,
    "zvezdara": 172_625,
    "vozdovac": 174_864,
    "kragujevac": 171_186,
    "loznica": 72_062,
    "cuprija": 26_018,
    "golubac": 6_744,
    "smederevska-palanka": 44_709,
}
CASES_PER_100K_A_YEAR = 425
REPEAT_SHARE = 0.30
DELIBERATE_SHARE = 0.02  # of cases that also get one deliberately wrong submission
UNREGISTERED_SHELTER = "ngo.sigurna-kuca-bez-registracije"


@dataclass
class Simulation:
    """Simulated cases and the deliberately wrong submissions among their events."""

    start: dt.datetime
    end: dt.datetime
    cases: list[SimulatedCase]
    deliberate: dict[uuid.UUID, str] = field(default_factory=dict)  # event id → expected code

    def submissions(self) -> list[Submission]:
        """Every submission in the order of time (each case's own order kept)."""
        return [submission for *_, submission in self._timeline()]

    def _timeline(self) -> list[tuple[dt.datetime, int, int, Submission]]:
        return sorted(
            ((recorded_at(s), n, k, s) for n, c in enumerate(self.cases)
             for k, s in enumerate(c.submissions)),
            key=lambda item: item[:3],
        )  # fmt: skip

    def batches(self, span: dt.timedelta = 12 * HOUR) -> list[list[Submission]]:
        """Submissions that may go to the exchange together, in the order of time.

        A batch holds a case's events only from one institution: one institution's events of a
        case share a partition of its topic and keep their order, while two institutions' topics
        are read in no fixed order, so the answer of the second must wait for a later batch, as
        it would wait for its inbox in real use. Each institution's run of a case's submissions
        joins the earliest open batch after the case's previous run; a batch stays open for
        ``span`` from its first submission. So no batch reaches further from the order of time
        than ``span`` (the deadline watcher's clocks move by event time), and the exchange is
        waited for once per round of answers, not at every case's change of writer. Twelve hours
        by default: half the shortest deadline the watcher keeps (24 h); six made 40 % more
        rounds for the same decisions, and a round over a broker costs fetches whose price grows
        with the log (tansu).
        """
        timeline = self._timeline()
        closed: list[list[Submission]] = []
        open_: list[tuple[dt.datetime, list[Submission]]] = []  # in order, oldest first
        run: dict[uuid.UUID, tuple[int, str]] = {}  # case → the batch of its run, its writer
        for at, _, _, submission in timeline:
            while open_ and at - open_[0][0] > span:
                closed.append(open_.pop(0)[1])
            first = len(closed)  # the number of the oldest open batch
            number, writer = run.get(submission.case_id, (first, submission.institution))
            if writer != submission.institution or number < first:
                number = max(number + (writer != submission.institution), first)
            if number - first == len(open_):
                open_.append((at, []))
            open_[number - first][1].append(submission)
            run[submission.case_id] = (number, submission.institution)
        return closed + [batch for _, batch in open_]

    def by_month(self) -> Iterator[tuple[str, list[list[Submission]]]]:
        """The batches grouped by the month of their first event (for progress)."""
        months: dict[str, list[list[Submission]]] = defaultdict(list)
        for batch in self.batches():
            months[f"{recorded_at(batch[0]):%Y-%m}"].append(batch)
        yield from months.items()

    @property
    def event_count(self) -> int:
        return sum(len(c.submissions) for c in self.cases)


def simulate(
    seed: int,
    *,
    start: dt.datetime,
    months: int = 12,
    scale: float = 1.0,
    vault: KeyVault | None = None,
    municipalities: dict[str, int] | None = None,
) -> Simulation:
    """``months`` of the network from ``start``; ``scale`` multiplies the case rate (tests)."""
    with vault.one_transaction() if vault else contextlib.nullcontext():
        return _simulate(seed, start, months, scale, vault, municipalities)


def _simulate(
    seed: int,
    start: dt.datetime,
    months: int,
    scale: float,
    vault: KeyVault | None,
    municipalities: dict[str, int] | None,
) -> Simulation:
    end = _add_months(start, months)
    rng = random.Random(seed)
    simulation = Simulation(start, end, [])
    for municipality, population in (municipalities or POPULATION).items():
        expected = population * CASES_PER_100K_A_YEAR / 100_000 * months / 12 * scale
        count = int(expected) + (rng.random() < expected - int(expected))
        seconds = (end - start).total_seconds()
        openings = sorted(
            start + dt.timedelta(seconds=rng.random() * seconds) for _ in range(count)
        )
        earlier: list[tuple[dt.datetime, Household]] = []
        for opened_at in openings:
            case_rng = random.Random(rng.getrandbits(64))
            recent = [h for t, h in earlier if opened_at - t < 365 * DAY]
            repeat = bool(recent) and case_rng.random() < REPEAT_SHARE
            household = case_rng.choice(recent) if repeat else _household(case_rng)
            case = _case(case_rng, municipality, opened_at, household, repeat, vault)
            if case_rng.random() < DELIBERATE_SHARE:
                _deliberately_wrong(case_rng, case, simulation.deliberate)
            case.submissions = [s for s in case.submissions if recorded_at(s) < end]
            simulation.cases.append(case)
            earlier.append((opened_at, household))
    kept = {s.event_id for c in simulation.cases for s in c.submissions}
    simulation.deliberate = {e: c for e, c in simulation.deliberate.items() if e in kept}
    return simulation


def _household(rng: random.Random) -> Household:
    return Household(
        victim=uuid.UUID(int=rng.getrandbits(128), version=4),
        perpetrator=uuid.UUID(int=rng.getrandbits(128), version=4),
        victim_female=rng.random() < FEMALE_VICTIM,
        perpetrator_female=rng.random() >= MALE_PERPETRATOR,
        relationship=pick(rng, RELATIONSHIPS),
    )


def _case(
    rng: random.Random,
    municipality: str,
    opened_at: dt.datetime,
    household: Household,
    repeat: bool,
    vault: KeyVault | None,
) -> SimulatedCase:
    risk = pick(rng, RISKS)
    # Imminent danger and high risk reach the police (who alone impose urgent measures).
    opener_kind = "POLICE" if risk in {"HIGH", "IMMINENT_DANGER"} else pick(rng, OPENERS)
    violence = [v for v, share in VIOLENCE if rng.random() < share] or ["PSYCHOLOGICAL"]
    script = CaseScript(rng, municipality, vault)
    writer = CaseWriter(script, household)
    writer.write(opened_at, opener_kind, risk, violence)
    ordered = sorted(enumerate(script.submissions), key=lambda p: (recorded_at(p[1]), p[0]))
    return SimulatedCase(
        case_id=script.case_id,
        municipality=municipality,
        opened_at=opened_at,
        opener_kind=opener_kind,
        risk=risk,
        violence_types=violence,
        household=household,
        repeat=repeat,
        submissions=[s for _, s in ordered],
        urgent_measures=writer.urgent_measures,
        breaches=writer.breaches,
    )


def _deliberately_wrong(
    rng: random.Random, case: SimulatedCase, deliberate: dict[uuid.UUID, str]
) -> None:
    """One wrong submission after the case is open; no other event depends on it."""
    opening = case.submissions[0]
    opener = opening.institution
    at = recorded_at(opening) + 45 * dt.timedelta(minutes=1)
    m = case.municipality
    health, csr = serving(m, "HEALTH"), serving(m, "CSR")
    elsewhere = next(x for x in ("golubac", "loznica") if x != m)
    kind = rng.choice(
        ["source_mismatch", "event_type_not_permitted", "unknown_recipient",
         "unknown_case", "occurred_in_future"]
    )  # fmt: skip

    def event(
        institution: str, source: str, event_type: str, when: dt.datetime, **fields: object
    ) -> None:
        header = new_header(event_type, case_id=case.case_id, source=source, occurred_at=when,
                            recorded_at=at,
                            actor_role="CASE_MANAGER", causation_id=opening.event_id,
                            event_id=uuid.UUID(int=rng.getrandbits(128), version=4))  # fmt: skip
        submission = Submission(institution, new_event(event_type, header, **fields))
        deliberate[submission.event_id] = kind
        case.submissions.append(submission)

    victim = case.household.victim
    new_id = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)  # noqa: E731
    if kind == "source_mismatch":
        # A health centre's system sends the report under the CSR's name.
        event(health, csr, "ReportReceived", at, report_id=new_id(), channel="HEALTH_SERVICE")
    elif kind == "event_type_not_permitted":
        # Only the police impose urgent measures (LPDV Art. 17).
        event(health, health, "UrgentMeasureImposed", at, measure_id=new_id(), order_id=new_id(),
              measure_type="TEMPORARY_CONTACT_BAN",
              perpetrator_subject_id=case.household.perpetrator,
              protected_subject_ids=[victim], imposed_at=at)  # fmt: skip
    elif kind == "unknown_recipient":
        event(opener, opener, "ReferralSent", at, referral_id=new_id(),
              to_institution=UNREGISTERED_SHELTER, service_type="SHELTER", urgency="P1",
              subject_ids=[victim], basis={"kind": "STATUTORY"})  # fmt: skip
    elif kind == "unknown_case":
        # Legal aid of another municipality records a service on a case it was never part of.
        other = serving(elsewhere, "LEGAL_AID")
        event(other, other, "ServiceProvided", at, service_id=new_id(),
              service_type="FREE_LEGAL_AID", provided_at=at, quantity=1, unit="SESSIONS",
              for_subject_ids=[victim])  # fmt: skip
    else:
        # A system clock fifty years ahead: recorded now, said to have happened in 2075 or so.
        future = at.replace(year=at.year + 50)
        event(opener, opener, "CaseClosed", future, closed_at=future, reason="OTHER")
    case.submissions.sort(key=recorded_at)


def recorded_at(submission: Submission) -> dt.datetime:
    """When the institution recorded the event: the order it submits in."""
    return submission.event.header.recorded_at  # type: ignore[attr-defined, no-any-return]


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(moment.month - 1 + months, 12)
    return moment.replace(year=moment.year + year, month=month + 1)
