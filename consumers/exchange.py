"""The exchange: every submission is appended to ``case-events`` or answered on ``rejections.*``.

It reads ``submissions.<institution>`` (a pattern subscription, so a new institution needs no
restart), trusts the topic as the submitter's identity, and checks the event against the schema,
the institution's authority and the case's state. An accepted event is appended unchanged (the
institution's own bytes, keyed by case id); a refused one goes back to the institution with a
machine-readable code, a reason and the original bytes. A duplicate ``event_id`` is dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from sqlalchemy import Connection, Table

from consumers.admission import (
    MAX_SUBMISSION_BYTES,
    ORIGINAL_PREFIX_BYTES,
    field_problem,
    programme_time_problem,
    size_problem,
    time_problem,
)
from consumers.event_projection import decode_memo
from consumers.exchange_state import (
    TABLES,
    BatchState,
    Referral,
    cases_table,
    participants_table,
    referrals_table,
    submissions_table,
)
from consumers.participation import OPENING_EVENTS, participation_change
from consumers.programme_rules import programme_problem
from consumers.referrals import (
    ANSWERED_BY_RECIPIENT,
    ANSWERED_BY_SENDER,
    SENT,
    TRANSITIONS,
    next_status,
)
from consumers.runner import BatchOutput, Database, is_outage
from schemas import Codec, DecodeError
from schemas.institutions import PROGRAMME_EVENTS, Institution, InstitutionRegistry, may_publish
from schemas.topics import (
    CASE_EVENTS,
    EVENT_TYPE,
    REJECTION_CODE,
    SUBMISSION,
    SUBMISSIONS,
    SUBMITTED_BY,
    rejections_topic,
    submitter_of,
)
from services.bus import Headers, Record
from services.platform.errors import KeepsItsParts

log = logging.getLogger(__name__)

CLOCK_SKEW = dt.timedelta(minutes=5)
_REJECTION_IDS = uuid.UUID("5d1c1d0e-7c6a-4b8e-9b52-0f3c2f6e9a11")
__all__ = [
    "Exchange",
    "Rejected",
    "cases_table",
    "participants_table",
    "referrals_table",
    "rejections_topic",
    "submissions_table",
]


class SealedCheck(Protocol):
    """What the exchange asks of the key vault (``services.platform.vault.KeyVault``)."""

    def sealed_problem(self, subject_id: Any, sealed: dict[str, Any]) -> str | None: ...


Decoded = tuple[int, str, dict[str, Any]]  # schema id, event type, the event (or its header)


class Rejected(KeepsItsParts, Exception):
    """A submission the exchange refuses; ``code`` is machine-readable. ``known`` is what could
    still be read of a submission refused before it was decoded whole (its header)."""

    def __init__(self, code: str, reason: str, known: Decoded | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.known = known


class Exchange:
    """The exchange as a projection of the submissions topics (its state is its own tables)."""

    name = "exchange"
    database: ClassVar[Database] = "exchange"  # its own tables, apart from the views
    topics = SUBMISSIONS
    tables: Sequence[Table] = TABLES
    on_data_path: ClassVar[bool] = True  # institutions wait for what it decides: no lingering
    # The gate, not a projection of the log: rebuilding it would append every accepted
    # submission to case-events again.
    replayable: ClassVar[bool] = False

    def __init__(
        self, codec: Codec, institutions: InstitutionRegistry, vault: SealedCheck | None = None
    ) -> None:
        self.codec = codec
        self.institutions = institutions
        # The platform's key vault: a registration's sealed identifiers must open under the
        # subject's key there, or nobody ever could (None only where no vault exists).
        self.vault = vault

    def apply_batch(self, records: Sequence[Record], tx: Connection, out: BatchOutput) -> None:
        published = len(out.messages)
        try:
            with tx.begin_nested():
                self._decide_batch(records, tx, out)
        except Exception as error:
            if is_outage(error):
                raise
            # A record tripped an unforeseen fault: decide the batch again record by record, so
            # that one is answered as unprocessable and every other as it deserves.
            del out.messages[published:]
            for record in records:
                self.handle(record, tx, out)

    def _decide_batch(self, records: Sequence[Record], tx: Connection, out: BatchOutput) -> None:
        """The fast path: what the batch asks about is read in a few queries, written in bulk."""
        decoded: list[Decoded | Rejected] = []
        for record in records:
            try:
                decoded.append(self._decode(record))
            except Rejected as rejection:
                decoded.append(rejection)
        state = BatchState(tx, out.epoch)
        readable = [d.known if isinstance(d, Rejected) else d for d in decoded]
        headers = [d[2]["header"] for d in readable if d is not None]
        state.preload((str(h["event_id"]) for h in headers), (str(h["case_id"]) for h in headers))
        for record, outcome in zip(records, decoded, strict=True):
            self._decide(record, out, state, outcome)
        state.flush()

    def handle(self, record: Record, tx: Connection, out: BatchOutput) -> None:
        """Decide one submission alone; a fault of this record (not of the platform) rejects it.

        The savepoint and the outbox mark undo whatever the record half-did, so a record that
        trips an unforeseen error (a value a database column refuses, a bug) is answered as
        ``unprocessable`` instead of failing its batch again and again and stopping the exchange.
        Outages of the database, the bus or the registry still propagate: the runner waits them
        out and the record is decided later, never rejected for the platform's own fault.
        """
        mark = len(out.messages)
        try:
            with tx.begin_nested():
                state = BatchState(tx, out.epoch)
                self._decide(record, out, state)
                state.flush()
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
            state = BatchState(tx, out.epoch)
            self._reject(record, submitter_of(record.topic), problem, None, None, None, state, out)
            state.flush()

    def _decide(
        self,
        record: Record,
        out: BatchOutput,
        state: BatchState,
        decoded: Decoded | Rejected | None = None,
    ) -> None:
        institution = submitter_of(record.topic)
        event: dict[str, Any] | None = None
        event_type: str | None = None
        schema_id: int | None = None
        try:
            if decoded is None:
                try:
                    decoded = self._decode(record)
                except Rejected as rejection:
                    decoded = rejection
            refused: Rejected | None = None
            if isinstance(decoded, Rejected):
                if decoded.known is None:
                    raise decoded  # nothing of it could be read
                # Refused, but its header still tells a copy from a first send.
                refused, decoded = decoded, decoded.known
            schema_id, event_type, event = decoded
            header = event["header"]
            event_id = str(header["event_id"])
            before = state.outcome(event_id)
            if before is not None and before.institution == institution:
                if before.status == "accepted":
                    if state.resend.is_lost(event_id):
                        # Accepted before a broker lost it (see ``consumers.resend_queue``).
                        case_id = str(header["case_id"])
                        headers = self._log_headers(record, institution, event_type)
                        state.resend.came_back(event_id, case_id, record.value, headers)
                        state.resend.release(case_id, out)
                        log.info("a lost %s of %s came back", event_type, institution)
                        return
                    log.info("dropped duplicate %s from %s", event_type, institution)
                    return
                # Silence would leave the sender believing a corrected resubmission went in.
                raise Rejected(
                    "event_id_reused",
                    f"event_id {event_id} was rejected before: "
                    "submit the corrected event under a new event_id",
                )
            if refused is not None:
                raise refused
            self._check(institution, event_type, event, record, state)
            # Last, so that a copy sent by another institution gets the same answer whichever
            # of the two the exchange reads first (topics are read in no fixed order).
            if before is not None and before.status == "accepted":
                raise Rejected("event_id_taken", f"event_id {event_id} names an accepted event")
        except Rejected as rejection:
            self._reject(record, institution, rejection, event_type, event, schema_id, state, out)
        else:
            self._accept(record, institution, event_type, event, state, out)

    # -- the checks, in the order a submitter would fix them ---------------------------------

    def _decode(self, record: Record) -> Decoded:
        too_large = size_problem(record.value)
        if too_large:
            # Never decoded whole (a 10 MB string would be read, kept and logged): its header
            # alone says whose event it is, so the outcome is recorded and the sender told.
            raise Rejected(*too_large, known=self._header_of(record.value or b""))
        try:
            decoded = decode_memo.decode(self.codec, record.value or b"")
        except DecodeError as error:
            code = error.code if error.code in {"unknown_schema_id", "not_an_event"} else None
            raise Rejected(code or "undecodable", str(error)) from None
        if decoded.event_type not in self.codec.catalogue.events:
            raise Rejected("not_an_event", f"{decoded.event_type} is not a case event")
        return decoded.schema_id, decoded.event_type, decoded.record

    def _header_of(self, value: bytes) -> Decoded | None:
        try:
            found = self.codec.decode_header(value)
        except DecodeError:
            return None
        if found.event_type not in self.codec.catalogue.events:
            return None
        return found.schema_id, found.event_type, found.record

    def _check(
        self,
        institution: str,
        event_type: str,
        event: dict[str, Any],
        record: Record,
        state: BatchState,
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
        if event_type in PROGRAMME_EVENTS:
            # About a programme, not a case: its own rules, and no case rule applies.
            for problem in (
                programme_time_problem(header, received, CLOCK_SKEW),
                field_problem(event),
                programme_problem(
                    institution, event_type, event, self.institutions, state.programmes
                ),
            ):
                if problem:
                    raise Rejected(*problem)
            return
        for problem in (time_problem(header, received, CLOCK_SKEW), field_problem(event)):
            if problem:
                raise Rejected(*problem)
        if event_type in OPENING_EVENTS:
            self._check_municipality(event, known)
        if event_type in TRANSITIONS:
            # Before participation: a recipient that declined is no longer a participant, and
            # "the referral is declined" is what it needs to hear.
            self._check_referral_answer(institution, known.kind, event_type, event, state)
        self._check_case(institution, known.kind, event_type, event, state)
        if event_type == "SubjectRegistered":  # last: only a participant's bytes are opened
            self._check_sealed(event)
        if event_type == "ReferralSent":
            self._check_new_referral(event, state)

    def _check_case(
        self, institution: str, kind: str, event_type: str, event: dict[str, Any], state: BatchState
    ) -> None:
        case_id = str(event["header"]["case_id"])
        exists = state.case(case_id) is not None
        if event_type in OPENING_EVENTS and state.programmes.is_programme(case_id):
            # The id names a programme: a case under it would mix the two in every reader.
            raise Rejected("case_exists", f"case {case_id} is already open")
        if event_type == "CaseOpened" and exists:
            raise Rejected("case_exists", f"case {case_id} is already open")
        if event_type in OPENING_EVENTS and not exists:
            return
        # A case the institution takes no part in answers exactly like one that does not exist:
        # a submission must not tell a stranger what a read would not.
        stranger = kind != "PLATFORM" and exists and not state.participates(case_id, institution)
        if not exists or stranger:
            raise Rejected(
                "unknown_case", "no case with this id that this institution takes part in"
            )

    def _check_sealed(self, event: dict[str, Any]) -> None:
        """Sealed bytes nobody can open would be read back later as an erased person: refused
        now, as the HTTP ingest refuses them (it seals the identifiers sent in clear itself)."""
        if self.vault is None:
            return
        problem = self.vault.sealed_problem(event["subject_id"], event["sealed"])
        if problem:
            raise Rejected(
                "sealed_key_unknown",
                f"{problem}: register the subject over HTTP with its identifiers as identity, "
                "and the platform seals them",
            )

    def _check_municipality(self, event: dict[str, Any], opener: Institution) -> None:
        municipality = event.get("municipality")
        if municipality is None:
            return
        if not self.institutions.by_municipality(municipality):
            raise Rejected(
                "unknown_municipality", "no registered institution serves the named municipality"
            )
        # A case is opened where the opener works: a case placed anywhere else would let any
        # token add to another place's small counts (and learn them from what is released).
        if opener.kind != "PLATFORM" and municipality not in opener.serves:
            raise Rejected(
                "outside_area", "this institution does not serve the municipality the case names"
            )

    def _check_new_referral(self, event: dict[str, Any], state: BatchState) -> None:
        recipient = self.institutions.get(event["to_institution"])
        if recipient is None or not recipient.active:
            raise Rejected("unknown_recipient", f"{event['to_institution']} is not registered")
        if state.referral(str(event["referral_id"])) is not None:
            raise Rejected("referral_exists", f"referral {event['referral_id']} was already sent")

    @staticmethod
    def _party_to(referral: Referral, institution: str, kind: str, event: dict[str, Any]) -> bool:
        if referral.case_id != str(event["header"]["case_id"]):
            return False
        return kind == "PLATFORM" or institution in (referral.sender, referral.recipient)

    def _check_referral_answer(
        self,
        institution: str,
        kind: str,
        event_type: str,
        event: dict[str, Any],
        state: BatchState,
    ) -> None:
        referral_id = str(event["referral_id"])
        referral = state.referral(referral_id)
        # Only its sender and its recipient (and the platform, which expires it) learn that a
        # referral exists: to anyone else an existing one answers exactly like a missing one.
        if referral is None or not self._party_to(referral, institution, kind, event):
            raise Rejected(
                "unknown_referral", "no referral with this id in this case sent to or by you"
            )
        if event_type in ANSWERED_BY_RECIPIENT and institution != referral.recipient:
            raise Rejected("not_the_recipient", f"referral {referral_id} is addressed to another")
        if event_type in ANSWERED_BY_SENDER and institution != referral.sender:
            raise Rejected("not_the_sender", f"referral {referral_id} was sent by another")
        if next_status(referral.status, event_type) is None:
            raise Rejected(
                "referral_transition_forbidden",
                f"{event_type} cannot follow a referral that is {referral.status}",
            )

    # -- outcomes ----------------------------------------------------------------------------

    def _accept(
        self,
        record: Record,
        institution: str,
        event_type: str,
        event: dict[str, Any],
        state: BatchState,
        out: BatchOutput,
    ) -> None:
        header = event["header"]
        case_id = str(header["case_id"])
        headers = self._log_headers(record, institution, event_type)
        if state.resend.holds(case_id):
            # Lost events of this case are not back on case-events yet: this one follows them.
            state.resend.wait(str(header["event_id"]), case_id, record.value, headers)
        else:
            out.publish(CASE_EVENTS, case_id.encode(), record.value, headers)
        self._update_case_state(institution, event_type, event, state)
        self._outcome(
            state, record, institution, str(header["event_id"]), "accepted", event_type, case_id
        )

    @staticmethod
    def _log_headers(record: Record, institution: str, event_type: str) -> Headers:
        return (
            (EVENT_TYPE, event_type.encode()),
            (SUBMITTED_BY, institution.encode()),
            (SUBMISSION, f"{record.topic}/{record.partition}/{record.offset}".encode()),
        )

    def _update_case_state(
        self, institution: str, event_type: str, event: dict[str, Any], state: BatchState
    ) -> None:
        if event_type in PROGRAMME_EVENTS:
            state.programmes.accepted(institution, event_type, event)
            return
        case_id = str(event["header"]["case_id"])
        case = state.case(case_id)
        if case is None:
            state.open_case(case_id, institution, event.get("municipality"))
        elif event_type in {"CaseClosed", "CaseReopened"}:
            state.set_closed(case_id, event_type == "CaseClosed")
        change = participation_change(
            event_type,
            event,
            case_municipality=case.municipality if case else event.get("municipality"),
            serving=self.institutions.serving_id,
        )
        state.add_participants(case_id, change.added)
        if change.ended_referral:
            state.end_referral_participation(case_id, change.ended_referral)
        if event_type == "ReferralSent":
            state.add_referral(
                Referral(
                    referral_id=str(event["referral_id"]),
                    case_id=case_id,
                    sender=institution,
                    recipient=event["to_institution"],
                    status=SENT,
                )
            )
        elif event_type in TRANSITIONS:
            state.set_referral_status(str(event["referral_id"]), TRANSITIONS[event_type][0])

    def _reject(
        self,
        record: Record,
        institution: str,
        rejection: Rejected,
        event_type: str | None,
        event: dict[str, Any] | None,
        schema_id: int | None,
        state: BatchState,
        out: BatchOutput,
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
            **_original(record.value),
            "rejected_at": dt.datetime.fromtimestamp(record.timestamp_ms / 1000, dt.UTC),
        }
        out.publish(
            rejections_topic(institution),
            case_id.encode() if case_id else None,
            self.codec.encode("SubmissionRejected", answer),
            [(REJECTION_CODE, rejection.code.encode())],
        )
        # An unregistered sender has no claim on an event_id (and its topic-given name may not
        # even fit the column): its submissions are answered, not remembered.
        known = self.institutions.get(institution) is not None
        if event_id and known and rejection.code != "event_id_reused":
            self._outcome(
                state, record, institution, event_id, "rejected", event_type, case_id, rejection
            )

    def _outcome(
        self,
        state: BatchState,
        record: Record,
        institution: str,
        event_id: str,
        status: str,
        event_type: str | None,
        case_id: str | None,
        rejection: Rejected | None = None,
    ) -> None:
        state.record_outcome(
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


def _original(value: bytes | None) -> dict[str, Any]:
    """The submission's bytes as a rejection carries them: whole when within the bounds the
    exchange reads, else their first bytes, with the size and digest of the whole either way."""
    if value is None:
        return {"original": None, "original_size": None, "original_sha256": None}
    kept = value if len(value) <= MAX_SUBMISSION_BYTES else value[:ORIGINAL_PREFIX_BYTES]
    digest = hashlib.sha256(value).hexdigest()
    return {"original": kept, "original_size": len(value), "original_sha256": digest}
