"""The exchange: every submission is appended to ``case-events`` or answered on ``rejections.*``.

It reads ``submissions.<institution>`` (a pattern subscription, so a new institution needs no
restart), trusts the topic as the submitter's identity, and checks the event against the schema,
the institution's authority and the case's state. An accepted event is appended unchanged (the
institution's own bytes, keyed by case id); a refused one goes back to the institution with a
machine-readable code, a reason and the original bytes. A duplicate ``event_id`` is dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from consumers.admission import field_problem, size_problem, time_problem
from consumers.events import CASE_EVENTS
from consumers.participation import (
    OPENING_EVENTS,
    add_participants,
    end_referral_participation,
    participation_change,
)
from consumers.referrals import (
    ANSWERED_BY_RECIPIENT,
    ANSWERED_BY_SENDER,
    SENT,
    TRANSITIONS,
    next_status,
)
from consumers.runner import Outbox, is_outage
from schemas import Codec, DecodeError
from services.bus import Record
from services.institutions import InstitutionRegistry, may_publish

log = logging.getLogger(__name__)

SUBMISSIONS = re.compile(r"submissions\..+")
CLOCK_SKEW = dt.timedelta(minutes=5)
_REJECTION_IDS = uuid.UUID("5d1c1d0e-7c6a-4b8e-9b52-0f3c2f6e9a11")

metadata = MetaData()
submissions_table = Table(
    "exchange_submissions",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("status", String(10), nullable=False),  # accepted | rejected
    Column("code", String(50), nullable=True),
    Column("reason", Text, nullable=True),
    Column("institution", String(120), nullable=False),
    Column("event_type", String(60), nullable=True),
    Column("case_id", String(36), nullable=True),
    Column("topic", String(249), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
)
cases_table = Table(
    "exchange_cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("opened_by", String(120), nullable=False),
    Column("municipality", String(60), nullable=True),
    Column("closed", Boolean, nullable=False, default=False),
)
participants_table = Table(
    "exchange_participants",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("institution", String(120), primary_key=True),
    Column("role", String(30), primary_key=True),
    Column("via", String(36), primary_key=True),
)
referrals_table = Table(
    "exchange_referrals",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("sender", String(120), nullable=False),
    Column("recipient", String(120), nullable=False),
    Column("status", String(12), nullable=False),
)


class Rejected(Exception):
    """A submission the exchange refuses; ``code`` is machine-readable."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def submitter_of(topic: str) -> str:
    return topic.removeprefix("submissions.")


class Exchange:
    """The exchange as a projection of the submissions topics (its state is its own tables)."""

    name = "exchange"
    topics = SUBMISSIONS
    tables: Sequence[Table] = (submissions_table, cases_table, participants_table, referrals_table)

    def __init__(self, codec: Codec, institutions: InstitutionRegistry) -> None:
        self.codec = codec
        self.institutions = institutions

    def apply_batch(self, records: Sequence[Record], tx: Connection, out: Outbox) -> None:
        for record in records:
            self.handle(record, tx, out)

    def handle(self, record: Record, tx: Connection, out: Outbox) -> None:
        """Decide one submission; a fault of this record (not of the platform) becomes a rejection.

        The savepoint and the outbox mark undo whatever the record half-did, so a record that
        trips an unforeseen error (a value a database column refuses, a bug) is answered as
        ``unprocessable`` instead of failing its batch again and again and stopping the exchange.
        Outages of the database, the bus or the registry still propagate: the runner waits them
        out and the record is decided later, never rejected for the platform's own fault.
        """
        mark = len(out.messages)
        try:
            with tx.begin_nested():
                self._decide(record, tx, out)
        except Exception as error:
            if is_outage(error):
                raise
            del out.messages[mark:]
            log.error(
                "could not process a submission at %s/%s@%s: %s",
                record.topic,
                record.partition,
                record.offset,
                type(error).__name__,
            )
            problem = Rejected(
                "unprocessable",
                f"the exchange could not process this submission ({type(error).__name__})",
            )
            self._reject(record, submitter_of(record.topic), problem, None, None, None, tx, out)

    def _decide(self, record: Record, tx: Connection, out: Outbox) -> None:
        institution = submitter_of(record.topic)
        event: dict[str, Any] | None = None
        event_type: str | None = None
        schema_id: int | None = None
        try:
            schema_id, event_type, event = self._decode(record)
            header = event["header"]
            before = self._outcome_of(tx, str(header["event_id"]))
            if before is not None and before.institution == institution:
                if before.status == "accepted":
                    log.info("dropped duplicate %s from %s", event_type, institution)
                    return
                # Silence would leave the sender believing a corrected resubmission went in.
                raise Rejected(
                    "event_id_reused",
                    f"event_id {header['event_id']} was rejected before: "
                    "submit the corrected event under a new event_id",
                )
            self._check(institution, event_type, event, record, tx)
            # Last, so that a copy sent by another institution gets the same answer whichever
            # of the two the exchange reads first (topics are read in no fixed order).
            if before is not None and before.status == "accepted":
                raise Rejected(
                    "event_id_taken", f"event_id {header['event_id']} names an accepted event"
                )
        except Rejected as rejection:
            self._reject(record, institution, rejection, event_type, event, schema_id, tx, out)
            return
        self._accept(record, institution, event_type, event, tx, out)

    # -- the checks, in the order a submitter would fix them ---------------------------------

    def _decode(self, record: Record) -> tuple[int, str, dict[str, Any]]:
        too_large = size_problem(record.value)
        if too_large:
            raise Rejected(*too_large)
        try:
            decoded = self.codec.decode(record.value or b"")
        except DecodeError as error:
            code = error.code if error.code in {"unknown_schema_id", "not_an_event"} else None
            raise Rejected(code or "undecodable", str(error)) from None
        if decoded.event_type not in self.codec.catalogue.events:
            raise Rejected("not_an_event", f"{decoded.event_type} is not a case event")
        return decoded.schema_id, decoded.event_type, decoded.record

    def _check(
        self,
        institution: str,
        event_type: str,
        event: dict[str, Any],
        record: Record,
        tx: Connection,
    ) -> None:
        header = event["header"]
        known = self.institutions.get(institution)
        if known is None or not known.active:
            raise Rejected("unknown_institution", f"{institution} is not a registered institution")
        if header["source_institution"] != institution:
            raise Rejected(
                "source_mismatch",
                f"topic says {institution}, header says {header['source_institution'][:120]!r}",
            )
        if not may_publish(known.kind, event_type):
            raise Rejected(
                "event_type_not_permitted", f"a {known.kind} may not publish {event_type}"
            )
        received = dt.datetime.fromtimestamp(record.timestamp_ms / 1000, dt.UTC)
        if header["occurred_at"] > received + CLOCK_SKEW:
            raise Rejected(
                "occurred_in_future",
                f"occurred_at {header['occurred_at']:%Y-%m-%dT%H:%M:%SZ} is after its receipt "
                f"{received:%Y-%m-%dT%H:%M:%SZ}",
            )
        for problem in (time_problem(header, received, CLOCK_SKEW), field_problem(event)):
            if problem:
                raise Rejected(*problem)
        if event_type in OPENING_EVENTS:
            self._check_municipality(event)
        if event_type in TRANSITIONS:
            # Before participation: a recipient that declined is no longer a participant, and
            # "the referral is declined" is what it needs to hear.
            self._check_referral_answer(institution, event_type, event, tx)
        self._check_case(institution, known.kind, event_type, event, tx)
        if event_type == "ReferralSent":
            self._check_new_referral(event, tx)

    def _check_case(
        self, institution: str, kind: str, event_type: str, event: dict[str, Any], tx: Connection
    ) -> None:
        case_id = str(event["header"]["case_id"])
        exists = tx.execute(
            select(cases_table.c.case_id).where(cases_table.c.case_id == case_id)
        ).first()
        if event_type == "CaseOpened" and exists:
            raise Rejected("case_exists", f"case {case_id} is already open")
        if event_type in OPENING_EVENTS and not exists:
            return
        if not exists:
            raise Rejected("unknown_case", f"no case {case_id}")
        if kind == "PLATFORM":
            return
        participant = tx.execute(
            select(participants_table.c.case_id)
            .where(participants_table.c.case_id == case_id)
            .where(participants_table.c.institution == institution)
            .limit(1)
        ).first()
        if not participant:
            raise Rejected("not_a_participant", f"{institution} takes no part in case {case_id}")

    def _check_municipality(self, event: dict[str, Any]) -> None:
        municipality = event.get("municipality")
        if municipality is not None and not self.institutions.by_municipality(municipality):
            raise Rejected(
                "unknown_municipality", "no registered institution serves the named municipality"
            )

    def _check_new_referral(self, event: dict[str, Any], tx: Connection) -> None:
        recipient = self.institutions.get(event["to_institution"])
        if recipient is None or not recipient.active:
            raise Rejected("unknown_recipient", f"{event['to_institution']} is not registered")
        if self._referral(str(event["referral_id"]), tx):
            raise Rejected("referral_exists", f"referral {event['referral_id']} was already sent")

    def _check_referral_answer(
        self, institution: str, event_type: str, event: dict[str, Any], tx: Connection
    ) -> None:
        referral_id = str(event["referral_id"])
        referral = self._referral(referral_id, tx)
        if referral is None or referral.case_id != str(event["header"]["case_id"]):
            raise Rejected("unknown_referral", f"no referral {referral_id} in this case")
        if event_type in ANSWERED_BY_RECIPIENT and institution != referral.recipient:
            raise Rejected("not_the_recipient", f"referral {referral_id} is addressed to another")
        if event_type in ANSWERED_BY_SENDER and institution != referral.sender:
            raise Rejected("not_the_sender", f"referral {referral_id} was sent by another")
        if next_status(referral.status, event_type) is None:
            raise Rejected(
                "referral_transition_forbidden",
                f"{event_type} cannot follow a referral that is {referral.status}",
            )

    def _referral(self, referral_id: str, tx: Connection) -> Any:
        return tx.execute(
            select(referrals_table).where(referrals_table.c.referral_id == referral_id)
        ).first()

    def _outcome_of(self, tx: Connection, event_id: str) -> Any:
        """The status and institution of an event_id decided before, else ``None``."""
        return tx.execute(
            select(submissions_table.c.status, submissions_table.c.institution).where(
                submissions_table.c.event_id == event_id
            )
        ).first()

    # -- outcomes ----------------------------------------------------------------------------

    def _accept(
        self,
        record: Record,
        institution: str,
        event_type: str,
        event: dict[str, Any],
        tx: Connection,
        out: Outbox,
    ) -> None:
        header = event["header"]
        case_id = str(header["case_id"])
        out.publish(
            CASE_EVENTS,
            case_id.encode(),
            record.value,
            [
                ("event-type", event_type.encode()),
                ("submitted-by", institution.encode()),
                ("submission", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ],
        )
        self._update_case_state(institution, event_type, event, tx)
        self._outcome(
            tx, record, institution, str(header["event_id"]), "accepted", event_type, case_id
        )

    def _update_case_state(
        self, institution: str, event_type: str, event: dict[str, Any], tx: Connection
    ) -> None:
        case_id = str(event["header"]["case_id"])
        case = tx.execute(select(cases_table).where(cases_table.c.case_id == case_id)).first()
        if case is None:
            municipality = event.get("municipality")
            tx.execute(
                insert(cases_table).values(
                    case_id=case_id, opened_by=institution, municipality=municipality, closed=False
                )
            )
        elif event_type in {"CaseClosed", "CaseReopened"}:
            tx.execute(
                update(cases_table)
                .where(cases_table.c.case_id == case_id)
                .values(closed=event_type == "CaseClosed")
            )
        change = participation_change(
            event_type,
            event,
            case_municipality=case.municipality if case else event.get("municipality"),
            serving=self.institutions.serving_id,
        )
        add_participants(tx, participants_table, case_id, change.added)
        if change.ended_referral:
            end_referral_participation(tx, participants_table, case_id, change.ended_referral)
        self._update_referral(institution, event_type, event, tx)

    def _update_referral(
        self, institution: str, event_type: str, event: dict[str, Any], tx: Connection
    ) -> None:
        if event_type == "ReferralSent":
            tx.execute(
                insert(referrals_table).values(
                    referral_id=str(event["referral_id"]),
                    case_id=str(event["header"]["case_id"]),
                    sender=institution,
                    recipient=event["to_institution"],
                    status=SENT,
                )
            )
        elif event_type in TRANSITIONS:
            tx.execute(
                update(referrals_table)
                .where(referrals_table.c.referral_id == str(event["referral_id"]))
                .values(status=TRANSITIONS[event_type][0])
            )

    def _reject(
        self,
        record: Record,
        institution: str,
        rejection: Rejected,
        event_type: str | None,
        event: dict[str, Any] | None,
        schema_id: int | None,
        tx: Connection,
        out: Outbox,
    ) -> None:
        header = (event or {}).get("header") or {}
        event_id = str(header["event_id"]) if "event_id" in header else None
        case_id = str(header["case_id"]) if "case_id" in header else None
        log.info("rejected a submission of %s: %s", institution, rejection.code)
        answer = {
            "rejection_id": uuid.uuid5(
                _REJECTION_IDS, f"{record.topic}/{record.partition}/{record.offset}"
            ),
            "code": rejection.code,
            "reason": rejection.reason,
            "source_institution": institution,
            "submission_topic": record.topic,
            "submission_partition": record.partition,
            "submission_offset": record.offset,
            "event_id": event_id,
            "event_type": event_type,
            "case_id": case_id,
            "schema_id": schema_id,
            "original": record.value,
            "rejected_at": dt.datetime.fromtimestamp(record.timestamp_ms / 1000, dt.UTC),
        }
        out.publish(
            f"rejections.{institution}",
            case_id.encode() if case_id else None,
            self.codec.encode("SubmissionRejected", answer),
            [("rejection-code", rejection.code.encode())],
        )
        # An unregistered sender has no claim on an event_id (and its topic-given name may not
        # even fit the column): its submissions are answered, not remembered.
        known = self.institutions.get(institution) is not None
        if event_id and known and rejection.code != "event_id_reused":
            self._outcome(
                tx, record, institution, event_id, "rejected", event_type, case_id, rejection
            )

    def _outcome(
        self,
        tx: Connection,
        record: Record,
        institution: str,
        event_id: str,
        status: str,
        event_type: str | None,
        case_id: str | None,
        rejection: Rejected | None = None,
    ) -> None:
        if self._outcome_of(tx, event_id) is not None:
            # Another institution's copy of this event_id was refused before: the id is kept
            # for the event its own institution has accepted; a refused copy has its answer.
            if status == "rejected":
                return
            tx.execute(delete(submissions_table).where(submissions_table.c.event_id == event_id))
        tx.execute(
            insert(submissions_table).values(
                event_id=event_id,
                status=status,
                code=rejection.code if rejection else None,
                reason=rejection.reason if rejection else None,
                institution=institution,
                event_type=event_type,
                case_id=case_id,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
        )
