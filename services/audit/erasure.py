"""`povezimo erase`: crypto-shredding of one subject.

The subject's data key is destroyed in the vault, so the sealed identifiers in the log, the
archive and any copy of them can never be opened again; then the platform submits a
``SubjectErased`` tombstone per case through the exchange, and every view and replay marks the
subject erased. The log itself is not touched: its hash chain still verifies.

The key is destroyed first: a tombstone without a destroyed key would claim an erasure that did
not happen. If publishing fails afterwards, running ``erase`` again publishes the same tombstones
(their ids derive from subject and case, so the exchange drops repeats); the key id comes from the
archived registration once the vault no longer has it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from consumers.event_projection import as_uuid
from producers.event_builder import new_event, new_header
from schemas.institutions import PLATFORM_INSTITUTION
from schemas.topics import PLATFORM_SUBMISSIONS
from services.audit.identify import cases_of_subject, sealed_registration, symbols
from services.bootstrap import Platform
from services.platform.errors import KeepsItsParts

_TOMBSTONE_IDS = uuid.UUID("9f4b7a52-1c3e-4f0a-8d6b-3e2a1c5f7b90")


class ErasureRefused(KeepsItsParts, Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Erasure:
    subject_id: str
    key_id: str
    case_ids: list[str]
    key_destroyed: bool  # False when an earlier run had destroyed it already


def erase(
    platform: Platform, subject_id: str | uuid.UUID, reason: str, *, now: dt.datetime
) -> Erasure:
    subject = as_uuid(subject_id)
    if reason not in symbols("ErasureReason"):
        raise ErasureRefused(
            "unknown_reason", f"{reason!r}: one of {', '.join(symbols('ErasureReason'))}"
        )
    with platform.views_engine.connect() as views:
        registered = cases_of_subject(views, subject)
    if not registered:
        raise ErasureRefused("unknown_subject", f"no subject {subject} in any case")
    if all(row.erased for row in registered):
        raise ErasureRefused("already_erased", f"subject {subject} is already erased")
    key_id = platform.vault.key_id_of(subject)
    if key_id is None:
        sealed = sealed_registration(platform, registered[0].case_id, subject)
        if sealed is None:
            raise ErasureRefused("no_key", f"no data key and no archived registration of {subject}")
        key_id = str(sealed["key_id"])
    destroyed = platform.vault.destroy(subject) is not None
    case_ids = [row.case_id for row in registered]
    with platform.bus.batch():
        for case_id in case_ids:
            platform.bus.publish(
                PLATFORM_SUBMISSIONS,
                case_id.encode(),
                _tombstone(platform, subject, case_id, key_id, reason, now),
            )
    platform.bus.flush()
    return Erasure(subject, key_id, case_ids, destroyed)


def _tombstone(
    platform: Platform, subject: str, case_id: str, key_id: str, reason: str, now: dt.datetime
) -> bytes:
    header = new_header(
        "SubjectErased",
        case_id=uuid.UUID(case_id),
        source=PLATFORM_INSTITUTION,
        occurred_at=now,
        actor_role="PLATFORM_SYSTEM",
        legal_basis="DATA_PROTECTION_LAW_ART_12_LEGAL_OBLIGATION",
        event_id=uuid.uuid5(_TOMBSTONE_IDS, f"{subject}/{case_id}"),
    )
    event = new_event(
        "SubjectErased",
        header,
        subject_id=uuid.UUID(subject),
        erased_at=now,
        reason_code=reason,
        key_id=key_id,
    )
    return platform.codec.encode("SubjectErased", event.to_avro())
