"""The production topology on Apache Kafka, derived from the code: topics, users and ACLs.

Topic names come from the functions the code itself publishes with (``submissions_topic``,
``rejections_topic``, ``inbox_topic``, ``CASE_EVENTS``, ``ACCESS_LOG``) and the institutions from
the registry, so a definition cannot name a topic the code does not use, nor miss one.
``povezimo deploy render`` writes ``deploy/``; a test checks that the committed files equal a fresh
rendering. Every setting of the deployment lives here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from schemas.institutions import PLATFORM_INSTITUTION, InstitutionRegistry
from schemas.registry import DEFAULT_COMPATIBILITY
from schemas.topics import (
    ACCESS_LOG,
    CASE_EVENTS,
    INBOX_PREFIX,
    REJECTIONS_PREFIX,
    SUBMISSIONS_PARTITIONS,
    SUBMISSIONS_PREFIX,
    inbox_topic,
    rejections_topic,
    submissions_topic,
)

REPLICATION_FACTOR = 3
MIN_INSYNC_REPLICAS = 2
DAY_MS = 24 * 3600 * 1000
FOREVER = -1
BROKERS = ("kafka-1", "kafka-2", "kafka-3")
CLIENT_PORT = 9092  # SASL_PLAINTEXT with SCRAM-SHA-512: institutions, at the public host
SERVICE_PORT = 9094  # the same for the platform's services, inside the compose network
INTERNAL_PORT = 19092  # inter-broker and the setup job, on the compose network only
CONTROLLER_PORT = 9093
KAFKA_IMAGE = "apache/kafka:3.9.1"
REGISTRY_IMAGE = "confluentinc/cp-schema-registry:7.7.1"
POSTGRES_IMAGE = "postgres:16"
POVEZIMO_IMAGE = "povezimo:latest"  # built from deploy/Dockerfile by the operator
SCRAM = "SCRAM-SHA-512"
_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int
    why: str

    def config(self) -> dict[str, str]:
        return {
            "min.insync.replicas": str(MIN_INSYNC_REPLICAS),
            "retention.ms": str(self.retention_ms),
            "retention.bytes": "-1",
            "cleanup.policy": "delete",
        }


@dataclass(frozen=True)
class Acl:
    principal: str  # a SCRAM user
    operation: str  # Read, Write, Describe, …
    resource: str  # Topic, Group
    pattern: str  # LITERAL or PREFIXED
    name: str


# The platform's own services, each with its own user: what it reads, writes and which groups.
PROJECTIONS = ("views", "inbox", "deadlines", "aggregate", "programme", "archive")
"""What the projections service runs: every consumer of case-events (tested against bootstrap)."""

PLATFORM_SERVICES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "exchange": {
        "Read": [("PREFIXED", SUBMISSIONS_PREFIX)],
        "Write": [("LITERAL", CASE_EVENTS), ("PREFIXED", REJECTIONS_PREFIX)],
        "Group": [("LITERAL", "projection.exchange")],
    },
    "projections": {
        "Read": [("LITERAL", CASE_EVENTS), ("LITERAL", ACCESS_LOG)],  # the archive keeps both
        # Inboxes go out to institutions; the deadline watcher submits expiries as the platform.
        "Write": [
            ("PREFIXED", INBOX_PREFIX),
            ("LITERAL", submissions_topic(PLATFORM_INSTITUTION)),
            ("LITERAL", ACCESS_LOG),
        ],
        "Group": [("PREFIXED", "projection.")],
    },
    "api": {
        # The HTTP ingest writes to the caller's submissions topic; reads serve inboxes.
        "Read": [
            ("PREFIXED", INBOX_PREFIX),
            ("PREFIXED", REJECTIONS_PREFIX),
            ("LITERAL", CASE_EVENTS),
        ],
        "Write": [("PREFIXED", SUBMISSIONS_PREFIX), ("LITERAL", ACCESS_LOG)],
        "Group": [("PREFIXED", "api.")],
    },
}


def institution_user(institution_id: str) -> str:
    """A SCRAM user per institution; Kafka user names allow the id's dots and hyphens."""
    return institution_id


def institutions_of(registry: InstitutionRegistry) -> list[str]:
    """Institutions that get a user: every one but the platform (its services have their own)."""
    return [i.id for i in registry if i.kind != "PLATFORM"]


def topics(registry: InstitutionRegistry) -> list[TopicSpec]:
    found = [
        TopicSpec(CASE_EVENTS, 12, FOREVER, "the canonical log, kept forever"),
        TopicSpec(ACCESS_LOG, 6, FOREVER, "who read identified data, kept forever"),
    ]
    for institution in sorted(i.id for i in registry):
        submissions = submissions_topic(institution)
        found.append(TopicSpec(submissions, SUBMISSIONS_PARTITIONS, 30 * DAY_MS, "what it submits"))
        found.append(
            TopicSpec(rejections_topic(institution), 3, 365 * DAY_MS, "what was refused, why")
        )
        if institution != PLATFORM_INSTITUTION:
            found.append(TopicSpec(inbox_topic(institution), 3, 365 * DAY_MS, "its inbox"))
    return found


def acls(registry: InstitutionRegistry) -> list[Acl]:
    """An institution writes only its submissions topic and reads only its inbox and rejections."""
    found: list[Acl] = []
    for institution in institutions_of(registry):
        user = institution_user(institution)
        found += [
            Acl(user, "Write", "Topic", "LITERAL", submissions_topic(institution)),
            Acl(user, "Describe", "Topic", "LITERAL", submissions_topic(institution)),
            Acl(user, "Read", "Topic", "LITERAL", inbox_topic(institution)),
            Acl(user, "Read", "Topic", "LITERAL", rejections_topic(institution)),
            # Its own consumer groups are named after it: "<id>.inbox", "<id>.rejections".
            Acl(user, "Read", "Group", "PREFIXED", f"{institution}."),
        ]
    for service, rights in PLATFORM_SERVICES.items():
        for operation in ("Read", "Write"):
            for pattern, name in rights[operation]:
                found.append(Acl(service, operation, "Topic", pattern, name))
                found.append(Acl(service, "Describe", "Topic", pattern, name))
        for pattern, name in rights["Group"]:
            found.append(Acl(service, "Read", "Group", pattern, name))
    return found


def users(registry: InstitutionRegistry) -> list[str]:
    return [*PLATFORM_SERVICES, *(institution_user(i) for i in institutions_of(registry))]


def password_variable(user: str) -> str:
    """The environment variable the operator sets with a user's password."""
    return "POVEZIMO_PASSWORD_" + user.upper().replace(".", "_").replace("-", "_")


# -- rendering ------------------------------------------------------------------------------

_HEADER = (
    "# Generated by `povezimo deploy render` from services/operations/topology.py; do not edit.\n"
)
_CLIENT = "--bootstrap-server kafka-1:19092"


def topics_yaml(registry: InstitutionRegistry) -> str:
    lines = [_HEADER.rstrip(), f"replication_factor: {REPLICATION_FACTOR}", "topics:"]
    for topic in topics(registry):
        lines.append(f"  - name: {topic.name}")
        lines.append(f"    partitions: {topic.partitions}")
        lines.append(f"    why: {json.dumps(topic.why)}")
        lines.append("    config:")
        for key, value in topic.config().items():
            lines.append(f"      {key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def setup_script(registry: InstitutionRegistry) -> str:
    """What the one-shot setup job runs against the internal listener: topics, users, ACLs."""
    out = [
        "#!/bin/sh",
        _HEADER.rstrip(),
        "# Idempotent: topics are created if missing, users and ACLs are (re)applied.",
        "set -eu",
        "BIN=/opt/kafka/bin",
        "",
        "# Topics",
    ]
    for topic in topics(registry):
        config = " ".join(f"--config {k}={v}" for k, v in topic.config().items())
        out.append(
            f"$BIN/kafka-topics.sh {_CLIENT} --create --if-not-exists --topic {topic.name} "
            f"--partitions {topic.partitions} --replication-factor {REPLICATION_FACTOR} {config}"
        )
    out += ["", f"# Users ({SCRAM}); each password comes from its environment variable"]
    for user in users(registry):
        out.append(
            f"$BIN/kafka-configs.sh {_CLIENT} --alter --entity-type users --entity-name {user} "
            f'--add-config "{SCRAM}=[password=${{{password_variable(user)}:?}}]"'
        )
    out += ["", "# ACLs: least privilege per institution and per platform service"]
    for acl in acls(registry):
        kind = "--topic" if acl.resource == "Topic" else "--group"
        out.append(
            f"$BIN/kafka-acls.sh {_CLIENT} --add --allow-principal User:{acl.principal} "
            f"--operation {acl.operation} {kind} {acl.name} "
            f"--resource-pattern-type {acl.pattern.lower()}"
        )
    return "\n".join(out) + "\n"


def acl_table(registry: InstitutionRegistry) -> str:
    """The ACLs as a tab-separated table, for review and for the drift test."""
    rows = ["principal\toperation\tresource\tpattern\tname"]
    rows += [
        f"{a.principal}\t{a.operation}\t{a.resource}\t{a.pattern}\t{a.name}" for a in acls(registry)
    ]
    return "\n".join(rows) + "\n"


def compose(registry: InstitutionRegistry) -> dict[str, Any]:
    voters = ",".join(f"{n + 1}@{b}:{CONTROLLER_PORT}" for n, b in enumerate(BROKERS))
    services: dict[str, Any] = {}
    for n, broker in enumerate(BROKERS):
        services[broker] = {
            "image": KAFKA_IMAGE,
            "hostname": broker,
            "restart": "unless-stopped",
            "environment": {
                "KAFKA_NODE_ID": str(n + 1),
                "KAFKA_PROCESS_ROLES": "broker,controller",
                "CLUSTER_ID": "${KAFKA_CLUSTER_ID:?run: kafka-storage.sh random-uuid}",
                "KAFKA_CONTROLLER_QUORUM_VOTERS": voters,
                "KAFKA_LISTENERS": f"INTERNAL://:{INTERNAL_PORT},CLIENT://:{CLIENT_PORT},"
                f"SERVICE://:{SERVICE_PORT},CONTROLLER://:{CONTROLLER_PORT}",
                "KAFKA_ADVERTISED_LISTENERS": f"INTERNAL://{broker}:{INTERNAL_PORT},"
                f"CLIENT://${{KAFKA_PUBLIC_HOST:?set it in .env}}:{CLIENT_PORT + 10 * n},"
                f"SERVICE://{broker}:{SERVICE_PORT}",
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "INTERNAL:PLAINTEXT,"
                "CLIENT:SASL_PLAINTEXT,SERVICE:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
                "KAFKA_LISTENER_NAME_CLIENT_SCRAM___SHA___512_SASL_JAAS_CONFIG": _SCRAM_LOGIN,
                "KAFKA_LISTENER_NAME_SERVICE_SCRAM___SHA___512_SASL_JAAS_CONFIG": _SCRAM_LOGIN,
                "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
                "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                "KAFKA_SASL_ENABLED_MECHANISMS": SCRAM,
                "KAFKA_AUTHORIZER_CLASS_NAME": "org.apache.kafka.metadata.authorizer."
                "StandardAuthorizer",
                # The internal listener is unauthenticated and only on the compose network: its
                # principal (ANONYMOUS) is the super user the brokers and the setup job use.
                "KAFKA_SUPER_USERS": "User:ANONYMOUS",
                "KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND": "false",
                "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
                "KAFKA_DEFAULT_REPLICATION_FACTOR": str(REPLICATION_FACTOR),
                "KAFKA_MIN_INSYNC_REPLICAS": str(MIN_INSYNC_REPLICAS),
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": str(REPLICATION_FACTOR),
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": str(REPLICATION_FACTOR),
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": str(MIN_INSYNC_REPLICAS),
            },
            "ports": [f"{CLIENT_PORT + 10 * n}:{CLIENT_PORT}"],
            "volumes": [f"{broker}-data:/var/lib/kafka/data"],
        }
    services["kafka-setup"] = {
        "image": KAFKA_IMAGE,
        "depends_on": list(BROKERS),
        "entrypoint": ["/bin/sh", "/setup/kafka-setup.sh"],
        "env_file": [".env"],
        "volumes": ["./kafka/kafka-setup.sh:/setup/kafka-setup.sh:ro"],
        "restart": "on-failure",
    }
    services["schema-registry"] = {
        "image": REGISTRY_IMAGE,
        "depends_on": ["kafka-setup"],
        "environment": {
            "SCHEMA_REGISTRY_HOST_NAME": "schema-registry",
            "SCHEMA_REGISTRY_LISTENERS": "http://0.0.0.0:8081",
            "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS": ",".join(
                f"PLAINTEXT://{b}:{INTERNAL_PORT}" for b in BROKERS
            ),
            "SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR": str(REPLICATION_FACTOR),
            # The one rule of decision 0007, the embedded registry's default too.
            "SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL": DEFAULT_COMPATIBILITY.value.lower(),
        },
        "ports": ["8081:8081"],
    }
    services["postgres"] = {
        "image": POSTGRES_IMAGE,
        "environment": {
            "POSTGRES_DB": "povezimo",
            "POSTGRES_USER": "povezimo",
            "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set it in .env}",
        },
        "volumes": ["postgres-data:/var/lib/postgresql/data"],
    }
    services["vault-db"] = {
        "image": POSTGRES_IMAGE,
        # The key vault lives apart from the log and the views (DESIGN: crypto-shredding).
        "environment": {
            "POSTGRES_DB": "vault",
            "POSTGRES_USER": "vault",
            "POSTGRES_PASSWORD": "${VAULT_POSTGRES_PASSWORD:?set it in .env}",
        },
        "volumes": ["vault-data:/var/lib/postgresql/data"],
    }
    commands = {
        "exchange": ["povezimo", "run", "--projection", "exchange"],
        "projections": [
            "povezimo",
            "run",
            *(a for p in PROJECTIONS for a in ("--projection", p)),
        ],
        "api": ["povezimo", "serve", "--host", "0.0.0.0", "--port", "8000"],
    }
    for service, command in commands.items():
        services[service] = {
            "image": POVEZIMO_IMAGE,
            "command": command,
            "depends_on": ["kafka-setup", "schema-registry", "postgres", "vault-db"],
            "environment": {
                "POVEZIMO_BUS_URL": _service_bus_url(service),
                "POVEZIMO_REGISTRY_URL": "http://schema-registry:8081",
                "POVEZIMO_VIEWS_URL": "postgresql://povezimo:${POSTGRES_PASSWORD}@postgres/povezimo",
                "POVEZIMO_VAULT_URL": "postgresql://vault:${VAULT_POSTGRES_PASSWORD}@vault-db/vault",
                "POVEZIMO_DATA_DIR": "/var/lib/povezimo",
            },
            # The aggregate and the signed archive keep their own SQLite stores here, with the
            # pseudonym and archive-signing keys under keys/: a volume, so they outlive the box.
            "volumes": ["povezimo-data:/var/lib/povezimo"],
            "restart": "unless-stopped",
        }
    services["api"]["ports"] = ["8000:8000"]
    return {
        "name": "povezimo",
        "services": services,
        "volumes": {f"{b}-data": {} for b in BROKERS}
        | {"postgres-data": {}, "vault-data": {}, "povezimo-data": {}},
    }


def _service_bus_url(service: str) -> str:
    servers = ",".join(f"{b}:{SERVICE_PORT}" for b in BROKERS)
    return (
        f"kafka://{servers}?replication_factor={REPLICATION_FACTOR}&client_id=povezimo-{service}"
        f"&security_protocol=SASL_PLAINTEXT&sasl_mechanism={SCRAM}"
        f"&sasl_plain_username={service}&sasl_plain_password=${{{password_variable(service)}}}"
    )


def yaml_text(value: Any, indent: int = 0) -> str:
    """A small YAML emitter (block style, JSON-quoted scalars): enough for the compose file."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines.append(yaml_text(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict | list) and item:
                nested = yaml_text(item, indent + 1).lstrip()
                lines.append(f"{pad}- {nested}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return "\n".join(lines)


def _scalar(value: Any) -> str:
    if value == {}:
        return "{}"
    if value == []:
        return "[]"
    return json.dumps(value, ensure_ascii=False)


def passwords_example(registry: InstitutionRegistry) -> str:
    lines = [
        "# Copy to .env (next to compose.yaml) and set every value; never commit .env.",
        "KAFKA_CLUSTER_ID=",
        "KAFKA_PUBLIC_HOST=",
        "POSTGRES_PASSWORD=",
        "VAULT_POSTGRES_PASSWORD=",
        *(f"{password_variable(u)}=" for u in users(registry)),
    ]
    return "\n".join(lines) + "\n"


def rendered(registry: InstitutionRegistry) -> dict[str, str]:
    """Every generated file of deploy/, by path relative to it."""
    return {
        "compose.yaml": _HEADER + yaml_text(compose(registry)) + "\n",
        "kafka/topics.yaml": topics_yaml(registry),
        "kafka/acls.tsv": acl_table(registry),
        "kafka/kafka-setup.sh": setup_script(registry),
        ".env.example": passwords_example(registry),
    }
