"""The registry's rules: ``/compatibility`` (test a schema against a version, or against all the
rule asks for), ``/config`` (the compatibility level) and ``/mode`` (READWRITE or READONLY),
registry-wide and per subject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from schemas.registry import Compatibility, CompatibilityResult, Mode
from schemas.registry.wire import INVALID_COMPATIBILITY, INVALID_MODE
from services.api.registry_wire import (
    Registry,
    RegistryJSON,
    RegistryProblem,
    SchemaBody,
    avro_schema,
    version_id,
)

router = APIRouter(tags=["schema registry"], default_response_class=RegistryJSON)
Flag = Annotated[bool, Query()]
DefaultToGlobal = Annotated[bool, Query(alias="defaultToGlobal")]


class CompatibilityAnswer(BaseModel):
    is_compatible: bool
    messages: list[str] | None = None


class ConfigBody(BaseModel):
    """Confluent's config update; only the compatibility level is kept here."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    compatibility: str | None = None
    compatibilityLevel: str | None = None


class ModeBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mode: str = Field(description="READWRITE or READONLY.")


def _verdict(result: CompatibilityResult, verbose: bool) -> CompatibilityAnswer:
    return CompatibilityAnswer(
        is_compatible=result.compatible, messages=result.messages if verbose else None
    )


@router.post(
    "/compatibility/subjects/{subject}/versions/{version}", response_model_exclude_none=True
)
def against_version(
    subject: str,
    version: str,
    body: Annotated[SchemaBody, Body()],
    registry: Registry,
    verbose: Flag = False,
    normalize: Flag = False,
) -> CompatibilityAnswer:
    """Compatible with that one version (``latest`` the newest), in the rule's direction."""
    schema = avro_schema(body)
    return _verdict(registry.check_against(subject, schema, version_id(version)), verbose)


@router.post("/compatibility/subjects/{subject}/versions", response_model_exclude_none=True)
def against_all(
    subject: str,
    body: Annotated[SchemaBody, Body()],
    registry: Registry,
    verbose: Flag = False,
    normalize: Flag = False,
) -> CompatibilityAnswer:
    """Compatible with every version the rule checks (all of them under a transitive rule):
    exactly what registering it would check."""
    schema = avro_schema(body)
    registry.versions(subject)  # 40401 for a subject that does not exist
    return _verdict(registry.check_compatibility(subject, schema), verbose)


def _level(body: ConfigBody) -> Compatibility:
    wanted = (body.compatibility or body.compatibilityLevel or "").upper()
    try:
        return Compatibility(wanted)
    except ValueError:
        levels = ", ".join(level.value for level in Compatibility)
        raise RegistryProblem(
            422, INVALID_COMPATIBILITY, f"invalid compatibility level {wanted[:40]!r}: {levels}"
        ) from None


def _mode(body: ModeBody) -> Mode:
    try:
        return Mode(body.mode.upper())
    except ValueError:
        modes = ", ".join(mode.value for mode in Mode)
        raise RegistryProblem(
            422, INVALID_MODE, f"invalid mode {body.mode[:40]!r}: this registry offers {modes}"
        ) from None


@router.get("/config")
def global_config(registry: Registry) -> dict[str, str]:
    return {"compatibilityLevel": registry.compatibility().value}


@router.put("/config")
def set_global_config(body: Annotated[ConfigBody, Body()], registry: Registry) -> dict[str, str]:
    return {"compatibility": registry.set_compatibility(_level(body)).value}


@router.delete("/config")
def reset_global_config(registry: Registry) -> dict[str, str]:
    return {"compatibilityLevel": registry.delete_compatibility().value}


@router.get("/config/{subject}")
def subject_config(
    subject: str, registry: Registry, defaultToGlobal: DefaultToGlobal = False
) -> dict[str, str]:
    level = registry.compatibility(subject, default_to_global=defaultToGlobal)
    return {"compatibilityLevel": level.value}


@router.put("/config/{subject}")
def set_subject_config(
    subject: str, body: Annotated[ConfigBody, Body()], registry: Registry
) -> dict[str, str]:
    return {"compatibility": registry.set_compatibility(_level(body), subject).value}


@router.delete("/config/{subject}")
def delete_subject_config(subject: str, registry: Registry) -> dict[str, str]:
    return {"compatibilityLevel": registry.delete_compatibility(subject).value}


@router.get("/mode")
def global_mode(registry: Registry) -> dict[str, str]:
    return {"mode": registry.mode().value}


@router.put("/mode")
def set_global_mode(
    body: Annotated[ModeBody, Body()], registry: Registry, force: Flag = False
) -> dict[str, str]:
    return {"mode": registry.set_mode(_mode(body)).value}


@router.delete("/mode")
def reset_global_mode(registry: Registry) -> dict[str, str]:
    return {"mode": registry.delete_mode().value}


@router.get("/mode/{subject}")
def subject_mode(
    subject: str, registry: Registry, defaultToGlobal: DefaultToGlobal = False
) -> dict[str, str]:
    return {"mode": registry.mode(subject, default_to_global=defaultToGlobal).value}


@router.put("/mode/{subject}")
def set_subject_mode(
    subject: str, body: Annotated[ModeBody, Body()], registry: Registry, force: Flag = False
) -> dict[str, str]:
    return {"mode": registry.set_mode(_mode(body), subject).value}


@router.delete("/mode/{subject}")
def delete_subject_mode(subject: str, registry: Registry) -> dict[str, str]:
    return {"mode": registry.delete_mode(subject).value}
