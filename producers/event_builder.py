"""Building events: the header every event carries, and the defaults the schemas declare.

An institution's system says what happened (``new_event("ReferralSent", …, to_institution=…)``);
this module fills the header, applies the schema's defaults (including nested records whose every
field has one) and validates the result against the model derived from the schema.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from schemas.catalogue import catalogue
from schemas.models import EventModel, model_for


def new_header(
    event_type: str,
    *,
    case_id: uuid.UUID,
    source: str,
    occurred_at: dt.datetime,
    actor_role: str,
    legal_basis: str = "LAW_PREVENTION_DV_2017",
    recorded_at: dt.datetime | None = None,
    correlation_id: uuid.UUID | None = None,
    causation_id: uuid.UUID | None = None,
    consent_ref: str | None = None,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The shared header; the correlation id defaults to the case, so a case reads as one story."""
    return {
        "event_id": event_id or uuid.uuid4(),
        "event_type": event_type,
        "case_id": case_id,
        "source_institution": source,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at or occurred_at,
        "correlation_id": correlation_id or case_id,
        "causation_id": causation_id,
        "actor_role": actor_role,
        "legal_basis": legal_basis,
        "consent_ref": consent_ref,
    }


def new_event(event_type: str, header: dict[str, Any], **fields: Any) -> EventModel:
    """A validated event: ``fields`` plus the schema's defaults for every field not given."""
    schema = catalogue().event(event_type).schema
    body = {"header": header}
    for avro_field in schema["fields"][1:]:
        name = avro_field["name"]
        if name in fields:
            body[name] = fields.pop(name)
        else:
            default = _default_of(avro_field)
            if default is not _MISSING:
                body[name] = default
    if fields:
        raise TypeError(f"{event_type} has no field(s) {sorted(fields)}")
    return model_for(event_type).model_validate(body)


_MISSING = object()


def _default_of(avro_field: dict[str, Any]) -> Any:
    if "default" in avro_field:
        return avro_field["default"]
    kind = avro_field["type"]
    if isinstance(kind, dict) and kind.get("type") == "record":
        nested = {f["name"]: _default_of(f) for f in kind["fields"]}
        if _MISSING not in nested.values():
            return nested
    return _MISSING
