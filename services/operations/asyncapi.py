"""The AsyncAPI 3 document of every topic family, generated from the code: topic names and
headers from ``schemas/topics.py``, payloads from the Avro catalogue, keys, partitions and
retention, who writes and who reads from the production topology (``topology.py``).

``povezimo asyncapi`` prints it; the API serves it at ``GET /asyncapi.json``; docs/asyncapi.md is
rendered from it (``markdown``). A test validates it with the AsyncAPI project's own parser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from schemas import catalogue
from schemas.institutions import InstitutionRegistry
from schemas.topics import (
    ACCESS_LOG,
    CASE_EVENTS,
    EVENT_ID,
    EVENT_TYPE,
    INBOX_PREFIX,
    INBOX_REASON,
    PLATFORM_SUBMISSIONS,
    REJECTION_CODE,
    REJECTIONS_PREFIX,
    SUBMISSION,
    SUBMISSIONS_PREFIX,
    SUBMITTED_BY,
    SUBMITTED_VIA,
    TOKEN_ID,
)
from services.operations.topology import CLIENT_PORT, PLATFORM_SERVICES, TopicSpec, topics

AVRO = "application/vnd.apache.avro;version=1.9.0"
CONTENT_TYPE = "application/vnd.apache.avro+binary"
KAFKA_BINDING = "0.5.0"
HEADER_MEANINGS = {
    EVENT_TYPE: "The event's type, e.g. ReferralSent.",
    EVENT_ID: "The event's id.",
    SUBMITTED_BY: "The institution whose submissions topic the event came from.",
    SUBMISSION: "Where the accepted submission was read: topic/partition/offset.",
    SUBMITTED_VIA: "http when the HTTP ingest published it; absent from the SDK and Kafka.",
    INBOX_REASON: "Why the institution is sent it: referral, case-update, statutory, ...",
    REJECTION_CODE: "The machine-readable code of the refusal, e.g. source_mismatch.",
    TOKEN_ID: "The id (never the secret) of the API token that read the data.",
}


@dataclass(frozen=True)
class Family:
    """One topic family: a channel of the document."""

    channel: str
    address: str
    prefix: str  # the name or the prefix the topology's ACLs use for it
    description: str
    messages: tuple[str, ...]
    headers: tuple[tuple[str, bool], ...]  # (name, always present)
    key: str


ACCESS_RECORDED = "AccessRecorded"
"""Published by the platform straight to the access log, never submitted nor logged as a case
event."""


def families() -> list[Family]:
    events = tuple(e.name for e in catalogue() if e.name != ACCESS_RECORDED)
    return [
        Family(
            "submissions", SUBMISSIONS_PREFIX + "{institution}", SUBMISSIONS_PREFIX,
            "What one institution submits; only it may write here (identity by topic). The "
            f"platform submits expiries and erasures to {PLATFORM_SUBMISSIONS}.",
            events, ((EVENT_TYPE, True), (SUBMITTED_VIA, False)), "The case id.",
        ),
        Family(
            CASE_EVENTS, CASE_EVENTS, CASE_EVENTS,
            "The canonical log: every accepted event, keyed by case id, kept forever.",
            events, ((EVENT_TYPE, True), (SUBMITTED_BY, True), (SUBMISSION, True)), "The case id.",
        ),
        Family(
            "rejections", REJECTIONS_PREFIX + "{institution}", REJECTIONS_PREFIX,
            "The exchange's refusals of one institution's submissions, with the original bytes.",
            ("SubmissionRejected",), ((REJECTION_CODE, True),),
            "The case id, when the submission could be read; else empty.",
        ),
        Family(
            "inbox", INBOX_PREFIX + "{institution}", INBOX_PREFIX,
            "What one institution must act on: referrals to it and updates of its cases.",
            events, ((EVENT_TYPE, True), (EVENT_ID, True), (INBOX_REASON, True)), "The case id.",
        ),
        Family(
            ACCESS_LOG, ACCESS_LOG, ACCESS_LOG,
            "Every read of a case's data (AccessRecorded), kept forever.",
            (ACCESS_RECORDED,), ((EVENT_TYPE, True), (TOKEN_ID, False)), "The case id.",
        ),
    ]  # fmt: skip


def family_of(name: str) -> Family:
    """The family whose topics an ACL's (literal or prefixed) name covers."""
    for family in families():
        prefixed = family.prefix.endswith(".") and name.startswith(family.prefix)
        if name == family.prefix or prefixed:
            return family
    raise ValueError(f"no topic family for {name!r}")


def actors() -> dict[str, dict[str, list[str]]]:
    """Who writes and who reads each family: the platform's services and any institution, from
    the topology's ACLs (an institution writes its submissions, reads its inbox and
    rejections)."""
    found: dict[str, dict[str, list[str]]] = {}
    for service, rights in PLATFORM_SERVICES.items():
        for right, action in (("Write", "send"), ("Read", "receive")):
            for _pattern, name in rights[right]:
                channel = family_of(name).channel
                channels = found.setdefault(service, {}).setdefault(action, [])
                if channel not in channels:
                    channels.append(channel)
    found["institution"] = {"send": ["submissions"], "receive": ["inbox", "rejections"]}
    return found


def _headers(family: Family) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            name: {"type": "string", "description": HEADER_MEANINGS[name]}
            for name, _ in family.headers
        },
        "required": [name for name, always in family.headers if always],
    }


def _topic_binding(spec: TopicSpec | None) -> dict[str, Any]:
    binding: dict[str, Any] = {"bindingVersion": KAFKA_BINDING}
    if spec is not None:
        binding |= {
            "partitions": spec.partitions,
            "replicas": 3,
            "topicConfiguration": {
                "retention.ms": spec.retention_ms,
                "cleanup.policy": ["delete"],
            },
        }
    return binding


def _message(family: Family, name: str) -> dict[str, Any]:
    record = catalogue().record(name)
    return {
        "name": name,
        "title": name,
        "summary": record.schema.get("doc", name).split(". ")[0][:200],
        "contentType": CONTENT_TYPE,
        "headers": {"$ref": f"#/components/schemas/{family.channel}-headers"},
        "payload": {"$ref": f"#/components/schemas/{name}"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": family.key},
                "schemaIdLocation": "payload",
                "schemaIdPayloadEncoding": "confluent",
                "schemaLookupStrategy": "RecordNameStrategy",
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _channel(family: Family, specs: dict[str, TopicSpec], examples: list[str]) -> dict[str, Any]:
    example = family.address.replace("{institution}", examples[0])
    channel: dict[str, Any] = {
        "address": family.address,
        "title": family.channel,
        "description": family.description,
        "messages": {name: _message(family, name) for name in family.messages},
        "bindings": {"kafka": _topic_binding(specs.get(example))},
    }
    if "{institution}" in family.address:
        channel["parameters"] = {
            "institution": {
                "description": "An institution id of the region's registry "
                "(povezimo institutions list).",
                "examples": examples,
            }
        }
    return channel


def _operations() -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for actor, actions in actors().items():
        for action, channels in actions.items():
            for channel in channels:
                verb = "writes to" if action == "send" else "reads"
                operations[f"{actor}-{action}-{channel}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{channel}"},
                    "title": f"{actor} {verb} {channel}",
                    "summary": f"The {actor} {verb} {channel} (deploy/kafka/acls.tsv).",
                }
    return operations


def document(registry: InstitutionRegistry) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every topic of the exchange."""
    specs = {spec.name: spec for spec in topics(registry)}
    examples = [i.id for i in registry if i.kind != "PLATFORM"][:3] or ["csr.lazarevac"]
    schemas: dict[str, Any] = {
        f"{family.channel}-headers": _headers(family) for family in families()
    }
    for record in [*catalogue(), *catalogue().platform.values()]:
        schemas[record.name] = {"schemaFormat": AVRO, "schema": record.schema}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Povezimo",
            "version": version("povezimo"),
            "description": "The exchange of domestic-violence case events between the "
            "institutions of a region. Values are Avro with Confluent framing (magic byte 0, "
            "a 4-byte schema id, Avro binary); subjects follow the record name "
            "(rs.povezimo.events.<Type>); the schema registry answers Confluent's REST API.",
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "servers": {
            "production": {
                "host": "{host}:" + str(CLIENT_PORT),
                "protocol": "kafka",
                "description": "The public listener of deploy/'s brokers: SASL SCRAM-SHA-512, "
                "one user per institution.",
                "variables": {"host": {"description": "The operator's KAFKA_PUBLIC_HOST."}},
                "security": [{"$ref": "#/components/securitySchemes/scram"}],
            }
        },
        "channels": {f.channel: _channel(f, specs, examples) for f in families()},
        "operations": _operations(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "scram": {
                    "type": "scramSha512",
                    "description": "The institution's Kafka user (its id) and password.",
                }
            },
        },
    }


def as_json(registry: InstitutionRegistry) -> str:
    return json.dumps(document(registry), indent=2, ensure_ascii=False) + "\n"


def _cell(items: list[str]) -> str:
    return ", ".join(items) if items else "–"


def markdown(registry: InstitutionRegistry) -> str:
    """docs/asyncapi.md: the document's channels and messages as tables."""
    doc = document(registry)
    by_channel: dict[str, dict[str, list[str]]] = {}
    for actor, actions in actors().items():
        for action, channels in actions.items():
            for channel in channels:
                by_channel.setdefault(channel, {}).setdefault(action, []).append(actor)
    lines = [
        "# The topics as an AsyncAPI document",
        "",
        "Generated by `povezimo asyncapi --format markdown` from the code "
        "([services/operations/asyncapi.py](../services/operations/asyncapi.py)); do not edit. "
        "The document itself is `povezimo asyncapi` (YAML; `--format json`) or "
        "`GET /asyncapi.json` on the API: AsyncAPI "
        f"{doc['asyncapi']}, validated in the tests by the AsyncAPI project's own parser. "
        "How an institution's system uses these topics is in [integrating.md](integrating.md).",
        "",
        "Every value is Avro with Confluent framing; the registry subject of a message is its "
        "record's full name. Writers and readers are the Kafka users of `deploy/` "
        "(`institution` is any institution, on its own topics only).",
        "",
        "## Channels",
        "",
        "| channel | address | key | headers | written by | read by | partitions, retention |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for family in families():
        channel = doc["channels"][family.channel]
        kafka = channel["bindings"]["kafka"]
        retention = kafka["topicConfiguration"]["retention.ms"]
        kept = "forever" if retention < 0 else f"{retention // 86_400_000} days"
        headers = [f"`{n}`" + ("" if always else " (optional)") for n, always in family.headers]
        rights = by_channel.get(family.channel, {})
        lines.append(
            f"| {family.channel} | `{family.address}` | {family.key} | {_cell(headers)} "
            f"| {_cell(rights.get('send', []))} | {_cell(rights.get('receive', []))} "
            f"| {kafka['partitions']}, {kept} |"
        )
    lines += [
        "",
        "## Messages",
        "",
        "| message | subject | on | summary |",
        "| --- | --- | --- | --- |",
    ]
    for record in [*catalogue(), *catalogue().platform.values()]:
        on = [f.channel for f in families() if record.name in f.messages]
        folder = "events" if record.name in catalogue().events else "platform"
        summary = record.schema.get("doc", "").split(". ")[0].replace("|", "/")[:160]
        lines.append(
            f"| [{record.name}](../schemas/avro/{folder}/{record.name}.avsc) | "
            f"`{record.subject}` | {_cell(on)} | {summary} |"
        )
    return "\n".join(lines) + "\n"
