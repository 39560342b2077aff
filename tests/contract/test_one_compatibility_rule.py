"""One compatibility rule (decision 0007): the embedded registry's default, the Confluent registry
`deploy/` runs and CI's schema check are FULL_TRANSITIVE, and every schema of the catalogue
registers under it. Gap 3 of issue 22: the embedded default was BACKWARD_TRANSITIVE."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from schemas import Codec, EmbeddedRegistry, IncompatibleSchema, catalogue
from schemas.registry import DEFAULT_COMPATIBILITY, Compatibility
from schemas.registry.compatibility import check

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def deployed_rule() -> Compatibility:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    environment = compose["services"]["schema-registry"]["environment"]
    return Compatibility(environment["SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL"].upper())


def test_the_embedded_registry_and_deploy_have_one_rule(tmp_path: Path) -> None:
    embedded = EmbeddedRegistry.from_url(f"sqlite:///{tmp_path / 'registry.db'}")
    assert embedded.compatibility() is DEFAULT_COMPATIBILITY
    assert deployed_rule() is DEFAULT_COMPATIBILITY is Compatibility.FULL_TRANSITIVE


def test_every_schema_of_the_catalogue_registers_under_the_rule(tmp_path: Path) -> None:
    """CI's schema check: the whole catalogue, into a registry holding the rule; then again
    (nothing new), and each schema against itself under the rule."""
    registry = EmbeddedRegistry.from_url(f"sqlite:///{tmp_path / 'registry.db'}")
    ids = Codec(registry).register_all()
    records = [*catalogue(), *catalogue().platform.values()]
    assert set(ids) == {record.name for record in records} and len(ids) == len(records)
    assert Codec(registry).register_all() == ids
    for record in records:
        assert registry.versions(record.subject) == [1]
        assert check(record.schema, [(1, record.schema)], DEFAULT_COMPATIBILITY).compatible


def test_under_the_rule_an_event_loses_no_field_an_old_reader_needs(tmp_path: Path) -> None:
    registry = EmbeddedRegistry.from_url(f"sqlite:///{tmp_path / 'registry.db'}")
    Codec(registry).register_all()
    event = catalogue().event("ReferralSent")
    shorter = copy.deepcopy(event.schema)
    shorter["fields"] = [f for f in shorter["fields"] if f["name"] != "urgency"]
    with pytest.raises(IncompatibleSchema, match="old reads new"):
        registry.register(event.subject, shorter)
