"""A typed client of the HTTP API for an institution's system: submit events, follow what the
exchange decided, read the inbox (long-poll or server-sent events, resuming where it stopped),
answer referrals and read a subject's identity.

Every refusal is an ``ApiRefused`` carrying the API's machine-readable ``code`` and ``problems``.
The models here are the client's view of the answers; the API's own tests hold the two equal.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal, Self

import httpx
from httpx_sse import connect_sse
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from producers.event_builder import new_event
from schemas.models import EventModel
from services.platform.errors import KeepsItsParts
from services.platform.vault import PersonalData

Direction = Literal["received", "sent"]
# Stands in for ``sealed`` while the event is validated here; it is never sent.
_SEALED_BY_THE_PLATFORM = {"key_id": "-", "nonce": b"", "ciphertext": b""}


class ApiRefused(KeepsItsParts, Exception):
    """A 4xx or 5xx answer: ``code`` says why, ``problems`` where (for an invalid event)."""

    def __init__(self, status: int, code: str, message: str, problems: list[Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems


class Receipt(BaseModel):
    event_id: uuid.UUID
    status: str
    status_url: str


class SubmissionStatus(BaseModel):
    event_id: uuid.UUID
    status: Literal["pending", "accepted", "rejected"]
    event_type: str | None = None
    case_id: uuid.UUID | None = None
    code: str | None = None
    reason: str | None = None


class InboxMessage(BaseModel):
    cursor: str
    event_type: str | None = None
    event_id: str | None = None
    case_id: str | None = None
    reason: str | None = None
    event: dict[str, Any] | None = None


class InboxPage(BaseModel):
    messages: list[InboxMessage]
    cursor: str


class PovezimoClient:
    """One institution's token against one API; ``actor_role`` and ``purpose`` are what it
    declares on every read and answer (a role, never a person's name)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        actor_role: str = "OTHER",
        purpose: str = "CASE_HANDLING",
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Actor-Role": actor_role,
            "X-Purpose": purpose,
        }
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- submitting --------------------------------------------------------------------------

    def submit(self, event: EventModel) -> Receipt:
        """Publish ``event`` as this token's institution; the exchange decides later."""
        return Receipt.model_validate(self._call("POST", "/v1/events", json=_json(event)))

    def register_subject(
        self, header: dict[str, Any], identity: PersonalData, **fields: Any
    ) -> Receipt:
        """Publish a ``SubjectRegistered`` (``header`` from ``new_header``, ``fields`` such as
        ``subject_id``, ``role``, ``sex``): the platform seals ``identity`` before publishing,
        under a key of the subject's own that only its vault holds."""
        event = new_event("SubjectRegistered", header, sealed=_SEALED_BY_THE_PLATFORM, **fields)
        body = {k: v for k, v in _json(event).items() if k != "sealed"}
        body["identity"] = identity.model_dump(mode="json")
        return Receipt.model_validate(self._call("POST", "/v1/events", json=body))

    def status(self, event_id: uuid.UUID | str) -> SubmissionStatus:
        return SubmissionStatus.model_validate(self._call("GET", f"/v1/submissions/{event_id}"))

    def decided(self, receipt: Receipt, timeout: float = 30.0) -> SubmissionStatus:
        """The exchange's decision on a submission, waited for up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.status(receipt.event_id)
            if found.status != "pending" or time.monotonic() >= deadline:
                return found
            time.sleep(0.1)

    # -- reading -----------------------------------------------------------------------------

    def inbox(self, after: str | None = None, *, wait: float = 0, limit: int = 100) -> InboxPage:
        """Messages after the cursor ``after``; ``wait`` > 0 holds the call until news come."""
        params: dict[str, Any] = {"wait": wait, "limit": limit}
        if after:
            params["after"] = after
        timeout = self._http.timeout.read or 30.0
        answer = self._call("GET", "/v1/inbox", params=params, timeout=wait + timeout)
        return InboxPage.model_validate(answer)

    def stream_inbox(
        self, after: str | None = None, *, duration: float = 300
    ) -> Iterator[InboxMessage]:
        """Messages as the server sends them (SSE). When the server ends a stream, the next one
        resumes after the last message received (``Last-Event-ID``): none is lost or repeated."""
        cursor = after
        while True:
            headers = {"Last-Event-ID": cursor} if cursor else {}
            with connect_sse(
                self._http,
                "GET",
                "/v1/inbox/stream",
                params={"duration": duration},
                headers=headers,
                timeout=httpx.Timeout(self._http.timeout.connect, read=duration + 30),
            ) as source:
                _raise_for(source.response, read=True)
                for sent in source.iter_sse():
                    if not sent.data:
                        continue
                    message = InboxMessage.model_validate_json(sent.data)
                    cursor = sent.id or message.cursor
                    yield message

    def cases(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/cases"))

    def case(self, case_id: uuid.UUID | str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/cases/{case_id}"))

    def referrals(
        self, direction: Direction = "received", status: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"direction": direction, **({"status": status} if status else {})}
        return list(self._call("GET", "/v1/referrals", params=params))

    def identity(self, subject_id: uuid.UUID | str) -> PersonalData:
        """The subject's identifiers (for a participant of its case); the read is recorded."""
        return PersonalData.model_validate(self._call("GET", f"/v1/subjects/{subject_id}/identity"))

    # -- answering referrals -----------------------------------------------------------------

    def accept(self, referral_id: uuid.UUID | str, **fields: Any) -> Receipt:
        return self._answer(referral_id, "accept", fields)

    def decline(self, referral_id: uuid.UUID | str, reason_code: str, **fields: Any) -> Receipt:
        return self._answer(referral_id, "decline", {"reason_code": reason_code, **fields})

    def complete(self, referral_id: uuid.UUID | str, outcome: str, **fields: Any) -> Receipt:
        return self._answer(referral_id, "complete", {"outcome": outcome, **fields})

    def revoke(self, referral_id: uuid.UUID | str, reason: str, **fields: Any) -> Receipt:
        return self._answer(referral_id, "revoke", {"reason": reason, **fields})

    def _answer(self, referral_id: uuid.UUID | str, verb: str, body: dict[str, Any]) -> Receipt:
        path = f"/v1/referrals/{referral_id}/{verb}"
        return Receipt.model_validate(self._call("POST", path, json=to_jsonable_python(body)))

    # -- the wire ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, **options: Any) -> Any:
        answer = self._http.request(method, path, **options)
        _raise_for(answer)
        return answer.json()


def _raise_for(answer: httpx.Response, *, read: bool = False) -> None:
    if answer.status_code < 400:
        return
    if read:
        answer.read()
    try:
        body = answer.json()
    except ValueError:
        body = {}
    raise ApiRefused(
        answer.status_code,
        str(body.get("code", "http_error")),
        str(body.get("message", answer.reason_phrase)),
        list(body.get("problems") or []),
    )


def _json(event: EventModel) -> dict[str, Any]:
    return dict(event.model_dump(mode="json"))
