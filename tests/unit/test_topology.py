"""deploy/ is what services/operations/topology.py renders, and names exactly the topics the code
uses."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

from schemas.institutions import PLATFORM_INSTITUTION, InstitutionRegistry
from schemas.topics import (
    ACCESS_LOG,
    CASE_EVENTS,
    PARTITIONS_BY_PREFIX,
    SUBMISSIONS_PARTITIONS,
    inbox_topic,
    rejections_topic,
    submissions_topic,
)
from services.bus.partitioning import new_topic_partitions
from services.operations.topology import BROKERS, PLATFORM_SERVICES, PROJECTIONS, rendered

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
REGISTRY = InstitutionRegistry.default()
INSTITUTIONS = [i.id for i in REGISTRY if i.kind != "PLATFORM"]


def test_the_committed_deploy_files_are_the_rendered_ones() -> None:
    for name, text in rendered(REGISTRY).items():
        assert (DEPLOY / name).read_text(encoding="utf-8") == text, (
            f"deploy/{name} is stale: run `povezimo deploy render`"
        )


def test_topics_are_exactly_those_the_code_publishes_to() -> None:
    spec = yaml.safe_load((DEPLOY / "kafka/topics.yaml").read_text(encoding="utf-8"))
    defined = {t["name"]: t for t in spec["topics"]}
    expected = {CASE_EVENTS, ACCESS_LOG}
    for institution in [*INSTITUTIONS, PLATFORM_INSTITUTION]:
        expected |= {submissions_topic(institution), rejections_topic(institution)}
        if institution != PLATFORM_INSTITUTION:
            expected.add(inbox_topic(institution))
    assert set(defined) == expected
    assert spec["replication_factor"] == 3
    for topic in defined.values():
        assert topic["config"]["min.insync.replicas"] == "2"
    assert defined[CASE_EVENTS]["config"]["retention.ms"] == "-1"
    assert defined[CASE_EVENTS]["config"]["retention.bytes"] == "-1"
    # The bus creates a submissions topic with as many partitions as production has.
    for institution in INSTITUTIONS:
        assert defined[submissions_topic(institution)]["partitions"] == SUBMISSIONS_PARTITIONS
        assert (
            new_topic_partitions(submissions_topic(institution), 3, PARTITIONS_BY_PREFIX)
            == SUBMISSIONS_PARTITIONS
        )


def _acls() -> list[dict[str, str]]:
    with (DEPLOY / "kafka/acls.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_an_institution_writes_only_its_submissions_and_reads_only_its_inbox_and_rejections() -> (
    None
):
    acls = _acls()
    for institution in INSTITUTIONS:
        mine = [a for a in acls if a["principal"] == institution]
        topics = {(a["operation"], a["name"]) for a in mine if a["resource"] == "Topic"}
        assert {a["pattern"] for a in mine if a["resource"] == "Topic"} == {"LITERAL"}
        assert {name for op, name in topics if op == "Write"} == {submissions_topic(institution)}
        assert {name for op, name in topics if op == "Read"} == {
            inbox_topic(institution),
            rejections_topic(institution),
        }
        groups = [a for a in mine if a["resource"] == "Group"]
        assert [(g["pattern"], g["name"]) for g in groups] == [("PREFIXED", f"{institution}.")]
    principals = {a["principal"] for a in acls}
    assert principals == set(INSTITUTIONS) | set(PLATFORM_SERVICES)


def test_every_acl_names_a_defined_topic_or_prefix_and_the_setup_applies_them_all() -> None:
    spec = yaml.safe_load((DEPLOY / "kafka/topics.yaml").read_text(encoding="utf-8"))
    names = {t["name"] for t in spec["topics"]}
    setup = (DEPLOY / "kafka/kafka-setup.sh").read_text(encoding="utf-8")
    for acl in _acls():
        if acl["resource"] == "Topic":
            if acl["pattern"] == "LITERAL":
                assert acl["name"] in names, acl
            else:
                assert any(n.startswith(acl["name"]) for n in names), acl
        line = (
            f"--allow-principal User:{acl['principal']} --operation {acl['operation']} "
            f"--{acl['resource'].lower()} {acl['name']} "
            f"--resource-pattern-type {acl['pattern'].lower()}"
        )
        assert line in setup
    created = set(re.findall(r"--create --if-not-exists --topic (\S+) ", setup))
    assert created == names
    assert setup.count("--replication-factor 3 ") == len(names)
    for institution in INSTITUTIONS:
        assert f"--entity-name {institution} " in setup


def test_the_compose_file_runs_three_kraft_brokers_a_registry_postgres_and_the_services() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(BROKERS) <= set(services)
    voters = {services[b]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"] for b in BROKERS}
    assert len(voters) == 1 and voters.pop().count("@") == 3
    for broker in BROKERS:
        env = services[broker]["environment"]
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
        assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert "schema-registry" in services and "postgres" in services
    for service in ("exchange", "projections", "api"):
        env = services[service]["environment"]
        assert env["POVEZIMO_BUS_URL"].startswith("kafka://")
        assert f"sasl_plain_username={service}&" in env["POVEZIMO_BUS_URL"]
        assert env["POVEZIMO_REGISTRY_URL"] == "http://schema-registry:8081"
    assert services["exchange"]["command"][-2:] == ["--projection", "exchange"]


def test_the_projections_service_runs_every_projection_the_platform_has(tmp_path: Path) -> None:
    from services.bootstrap import Platform
    from services.platform.settings import Settings

    platform = Platform(Settings(data_dir=tmp_path))
    names = {name for name in platform.projections() if name != "exchange"}
    platform.close()
    assert set(PROJECTIONS) == names
