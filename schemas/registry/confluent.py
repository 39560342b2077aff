"""A client for any Confluent-compatible schema registry (Confluent, Karapace, Apicurio, ours)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import httpx

from schemas.registry.compatibility import Compatibility, CompatibilityResult
from schemas.registry.port import (
    Mode,
    RegisteredSchema,
    RegistryError,
    SchemaNotFound,
    SubjectVersion,
    schema_text,
)
from schemas.registry.wire import CONTENT_TYPE, error_from


def _path(subject: str) -> str:
    return quote(subject, safe="")


def _flag(value: bool) -> str:
    return "true" if value else "false"


class ConfluentRegistry:
    """The registry interfaces over Confluent's REST API; schemas by id are cached (immutable)."""

    def __init__(self, url: str, *, timeout: float = 10.0, client: httpx.Client | None = None):
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(
            base_url=self.url, timeout=timeout, headers={"Accept": CONTENT_TYPE}
        )
        self._by_id: dict[int, str] = {}
        self._lock = threading.Lock()

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        subject: str = "",
        **params: str,
    ) -> Any:
        try:
            response = self._client.request(
                method, path, json=body, params=params, headers={"Content-Type": CONTENT_TYPE}
            )
        except httpx.HTTPError as error:
            raise RegistryError(f"registry {self.url} unreachable: {error}") from error
        if response.status_code < 400:
            return response.json()
        try:
            problem = response.json()
        except ValueError:
            problem = {"error_code": response.status_code, "message": response.text[:200]}
        code = int(problem.get("error_code") or response.status_code)
        message = str(problem.get("message") or f"{path}: {response.status_code}")
        raise error_from(response.status_code, code, message, subject)

    def register(self, subject: str, schema: Any) -> int:
        answer = self._call(
            "POST",
            f"/subjects/{_path(subject)}/versions",
            {"schema": schema_text(schema)},
            subject=subject,
        )
        return int(answer["id"])

    def schema_by_id(self, schema_id: int) -> str:
        cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        text = str(self._call("GET", f"/schemas/ids/{schema_id}")["schema"])
        with self._lock:
            self._by_id[schema_id] = text
        return text

    def subjects(self, *, deleted: bool = False) -> list[str]:
        return sorted(self._call("GET", "/subjects", deleted=_flag(deleted)))

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        found = self._call("GET", f"/subjects/{_path(subject)}/versions", deleted=_flag(deleted))
        return sorted(found)

    def version(
        self, subject: str, version: int | str = "latest", *, deleted: bool = False
    ) -> RegisteredSchema:
        answer = self._call(
            "GET", f"/subjects/{_path(subject)}/versions/{version}", deleted=_flag(deleted)
        )
        return _registered(answer, subject)

    def lookup(self, subject: str, schema: Any, *, deleted: bool = False) -> RegisteredSchema:
        answer = self._call(
            "POST",
            f"/subjects/{_path(subject)}",
            {"schema": schema_text(schema)},
            subject=subject,
            deleted=_flag(deleted),
        )
        return _registered(answer, subject)

    def check_compatibility(self, subject: str, schema: Any) -> CompatibilityResult:
        path = f"/compatibility/subjects/{_path(subject)}/versions"
        try:
            return self._check(path, subject, schema)
        except SchemaNotFound:
            return CompatibilityResult(True)  # a first version has nothing to be checked against

    def check_against(
        self, subject: str, schema: Any, version: int | str = "latest"
    ) -> CompatibilityResult:
        path = f"/compatibility/subjects/{_path(subject)}/versions/{version}"
        return self._check(path, subject, schema)

    def _check(self, path: str, subject: str, schema: Any) -> CompatibilityResult:
        answer = self._call(
            "POST", path, {"schema": schema_text(schema)}, subject=subject, verbose="true"
        )
        return CompatibilityResult(bool(answer["is_compatible"]), list(answer.get("messages", [])))

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        path = f"/subjects/{_path(subject)}"
        return list(self._call("DELETE", path, subject=subject, permanent=_flag(permanent)))

    def delete_version(self, subject: str, version: int | str, *, permanent: bool = False) -> int:
        path = f"/subjects/{_path(subject)}/versions/{version}"
        return int(self._call("DELETE", path, subject=subject, permanent=_flag(permanent)))

    def subjects_of(self, schema_id: int, *, deleted: bool = False) -> list[str]:
        return sorted(
            self._call("GET", f"/schemas/ids/{schema_id}/subjects", deleted=_flag(deleted))
        )

    def versions_of(self, schema_id: int, *, deleted: bool = False) -> list[SubjectVersion]:
        found = self._call("GET", f"/schemas/ids/{schema_id}/versions", deleted=_flag(deleted))
        return [SubjectVersion(item["subject"], int(item["version"])) for item in found]

    def compatibility(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> Compatibility:
        path = "/config" if subject is None else f"/config/{_path(subject)}"
        answer = self._call(
            "GET", path, subject=subject or "", defaultToGlobal=_flag(default_to_global)
        )
        return Compatibility(answer["compatibilityLevel"])

    def set_compatibility(self, level: Compatibility, subject: str | None = None) -> Compatibility:
        path = "/config" if subject is None else f"/config/{_path(subject)}"
        answer = self._call("PUT", path, {"compatibility": level.value}, subject=subject or "")
        return Compatibility(answer["compatibility"])

    def delete_compatibility(self, subject: str | None = None) -> Compatibility:
        path = "/config" if subject is None else f"/config/{_path(subject)}"
        return Compatibility(
            self._call("DELETE", path, subject=subject or "")["compatibilityLevel"]
        )

    def mode(self, subject: str | None = None, *, default_to_global: bool = False) -> Mode:
        path = "/mode" if subject is None else f"/mode/{_path(subject)}"
        answer = self._call(
            "GET", path, subject=subject or "", defaultToGlobal=_flag(default_to_global)
        )
        return Mode(answer["mode"])

    def set_mode(self, mode: Mode, subject: str | None = None) -> Mode:
        path = "/mode" if subject is None else f"/mode/{_path(subject)}"
        return Mode(self._call("PUT", path, {"mode": mode.value}, subject=subject or "")["mode"])

    def delete_mode(self, subject: str | None = None) -> Mode:
        path = "/mode" if subject is None else f"/mode/{_path(subject)}"
        return Mode(self._call("DELETE", path, subject=subject or "")["mode"])

    def close(self) -> None:
        self._client.close()


def _registered(answer: dict[str, Any], subject: str) -> RegisteredSchema:
    return RegisteredSchema(
        str(answer.get("subject", subject)),
        int(answer["version"]),
        int(answer["id"]),
        str(answer["schema"]),
    )
