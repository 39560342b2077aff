"""A client for any Confluent-compatible schema registry (Confluent, Karapace, Apicurio, ours)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import httpx

from schemas.registry.compatibility import CompatibilityResult
from schemas.registry.port import (
    IncompatibleSchema,
    RegisteredSchema,
    RegistryError,
    SchemaNotFound,
    schema_text,
)

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
# Confluent's error codes: 40401 subject, 40402 version, 40403 schema not found; 409 incompatible.
_NOT_FOUND = {40401, 40402, 40403}


class ConfluentRegistry:
    """The registry interface over Confluent's REST API; schemas by id are cached (immutable)."""

    def __init__(self, url: str, *, timeout: float = 10.0, client: httpx.Client | None = None):
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(
            base_url=self.url, timeout=timeout, headers={"Accept": CONTENT_TYPE}
        )
        self._by_id: dict[int, str] = {}
        self._lock = threading.Lock()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._client.request(
                method, path, json=body, headers={"Content-Type": CONTENT_TYPE}
            )
        except httpx.HTTPError as error:
            raise RegistryError(f"registry {self.url} unreachable: {error}") from error
        if response.status_code < 400:
            return response.json()
        try:
            problem = response.json()
        except ValueError:
            problem = {"error_code": response.status_code, "message": response.text[:200]}
        code = problem.get("error_code", response.status_code)
        message = problem.get("message", "")
        if code in _NOT_FOUND or response.status_code == 404:
            raise SchemaNotFound(message or f"{path}: not found")
        if response.status_code == 409:
            raise IncompatibleSchema(path, [message])
        raise RegistryError(f"registry answered {response.status_code} ({code}): {message}")

    def register(self, subject: str, schema: Any) -> int:
        answer = self._call(
            "POST", f"/subjects/{quote(subject, safe='')}/versions", {"schema": schema_text(schema)}
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

    def subjects(self) -> list[str]:
        return sorted(self._call("GET", "/subjects"))

    def versions(self, subject: str) -> list[int]:
        return sorted(self._call("GET", f"/subjects/{quote(subject, safe='')}/versions"))

    def version(self, subject: str, version: int | str = "latest") -> RegisteredSchema:
        answer = self._call("GET", f"/subjects/{quote(subject, safe='')}/versions/{version}")
        return RegisteredSchema(
            answer["subject"], int(answer["version"]), int(answer["id"]), answer["schema"]
        )

    def check_compatibility(self, subject: str, schema: Any) -> CompatibilityResult:
        try:
            answer = self._call(
                "POST",
                f"/compatibility/subjects/{quote(subject, safe='')}/versions/latest?verbose=true",
                {"schema": schema_text(schema)},
            )
        except SchemaNotFound:
            return CompatibilityResult(True)
        return CompatibilityResult(bool(answer["is_compatible"]), list(answer.get("messages", [])))

    def close(self) -> None:
        self._client.close()
