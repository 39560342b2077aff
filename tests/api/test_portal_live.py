"""The inbox's live stream (``GET /portal/inbox/stream``): one account holding many streams is
refused past the API's cap while others are served; a stream says when the inbox changed, never
what; it ends with the session; and an open page does not keep an idle session alive."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from services.api.portal.accounts import StaffAccount, StaffStore
from services.bootstrap import Platform
from tests.api.test_portal import (  # noqa: F401
    Clock,
    clock,
    csrf_of,
    portal,
    sign_in,
    staff,
)
from tests.api.world import World

STREAM = "/portal/inbox/stream"


def version_of(client: TestClient) -> str:
    page = client.get("/portal/inbox")
    found = re.search(r'data-stream="/portal/inbox/stream\?since=([0-9a-f]+)"', page.text)
    assert found, page.text[:3000]
    return found.group(1)


def stream_key(account: StaffAccount) -> str:
    return f"portal:{account.account_id}"


def held(client: TestClient, account: StaffAccount) -> int:
    waits = client.app.state.context.waits  # type: ignore[attr-defined]
    count: int = waits.held(stream_key(account))
    return count


def until(what: Callable[[], bool], tries: int = 400) -> None:
    """Waits for ``what`` (a liveness bound on a thread's progress, not a speed target)."""
    event = threading.Event()
    for _ in range(tries):
        if what():
            return
        event.wait(0.05)
    raise AssertionError(what.__doc__ or "never happened")


class Streams:
    """Streams opened in threads: the test client answers only when a stream has ended."""

    def __init__(self) -> None:
        self.bodies: list[tuple[int, str]] = []
        self.threads: list[threading.Thread] = []

    def open(self, client: TestClient, params: str) -> None:
        def read() -> None:
            answer = client.get(f"{STREAM}?{params}")
            self.bodies.append((answer.status_code, answer.text))

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> list[tuple[int, str]]:
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a stream did not end"
        return self.bodies


def test_one_account_opening_many_streams_is_refused_past_the_cap_and_nothing_else_degrades(
    platform: Platform,
    portal: TestClient,  # noqa: F811
    staff: dict[str, StaffAccount],  # noqa: F811
) -> None:
    cap: int = portal.app.state.context.waits.per_token  # type: ignore[attr-defined]
    assert cap >= 2
    sign_in(portal, "ana")
    streams = Streams()
    for _ in range(cap):
        streams.open(portal, "duration=6")
    until(lambda: held(portal, staff["ana"]) == cap)
    for _ in range(5):
        refused = portal.get(f"{STREAM}?duration=6")
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "too_many_waits" and refused.headers["Retry-After"]
    assert held(portal, staff["ana"]) == cap  # a refusal holds nothing
    # The same person's pages, and another person's stream, are served meanwhile.
    assert portal.get("/portal/inbox").status_code == 200
    other = TestClient(portal.app, raise_server_exceptions=False)  # another browser
    sign_in(other, "jelena")
    answer = other.get(f"{STREAM}?duration=0.5")
    assert answer.status_code == 200 and answer.text.startswith("retry:")
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert [status for status, _ in streams.join()] == [200] * cap
    assert held(portal, staff["ana"]) == 0  # every stream released its place


def test_a_stream_needs_a_live_session(portal: TestClient) -> None:  # noqa: F811
    refused = portal.get(f"{STREAM}?duration=1")
    assert refused.status_code == 401 and refused.json()["code"] == "not_signed_in"
    portal.cookies.set("pvz_session", "forged", path="/portal")
    assert portal.get(f"{STREAM}?duration=1").status_code == 401
    sign_in(portal, "ana")
    assert portal.get(f"{STREAM}?duration=0").status_code == 422  # bad input: a 4xx, not a 5xx
    assert portal.get(f"{STREAM}?duration=1&since={'x' * 65}").status_code == 422


def test_a_stream_says_the_inbox_changed_but_not_what(
    portal: TestClient,  # noqa: F811
    world: World,
    pipeline: Pipeline,
) -> None:
    sign_in(portal, "ana")
    shown = version_of(portal)
    quiet = portal.get(f"{STREAM}?duration=1.5&since={shown}")
    assert quiet.status_code == 200 and "event: inbox" not in quiet.text
    inbox = portal.get("/portal/inbox")
    portal.post(f"/portal/referrals/{world.referral_x}/accept", data={"csrf": csrf_of(inbox)})
    pipeline.drain()
    news = portal.get(f"{STREAM}?duration=1.5&since={shown}")
    [event] = [e for e in news.text.split("\n\n") if "event: inbox" in e]
    newer = version_of(portal)
    assert f"id: {newer}" in event and newer != shown
    assert str(world.referral_x) not in news.text and str(world.case_x) not in news.text
    # A reconnecting EventSource sends the last id it saw: nothing new, nothing sent.
    again = portal.get(f"{STREAM}?duration=1.5&since={shown}", headers={"Last-Event-ID": newer})
    assert "event: inbox" not in again.text


def test_the_stream_ends_when_the_person_signs_out_or_the_account_is_disabled(
    platform: Platform,
    portal: TestClient,  # noqa: F811
    staff: dict[str, StaffAccount],  # noqa: F811
) -> None:
    sign_in(portal, "ana")
    streams = Streams()
    streams.open(portal, "duration=60")
    until(lambda: held(portal, staff["ana"]) == 1)
    portal.post("/portal/logout", data={"csrf": csrf_of(portal.get("/portal/inbox"))})
    [(status, body)] = streams.join()
    assert status == 200 and body.rstrip().endswith("event: ended\ndata: {}")
    assert held(portal, staff["ana"]) == 0

    sign_in(portal, "ana")
    streams = Streams()
    streams.open(portal, "duration=60")
    until(lambda: held(portal, staff["ana"]) == 1)
    StaffStore(platform.views_engine).disable("ana", now=staff["ana"].created_at)
    [(status, body)] = streams.join()
    assert "event: ended" in body and held(portal, staff["ana"]) == 0


def test_an_open_stream_ends_with_an_idle_session_and_does_not_keep_it_alive(
    portal: TestClient,  # noqa: F811
    clock: Clock,  # noqa: F811
    staff: dict[str, StaffAccount],  # noqa: F811
) -> None:
    sign_in(portal, "ana")
    clock.advance(minutes=20)
    streams = Streams()
    streams.open(portal, "duration=60")  # opened 20 minutes after the last page
    until(lambda: held(portal, staff["ana"]) == 1)
    clock.advance(minutes=11)  # 31 minutes without a page: the session is over
    [(_, body)] = streams.join()
    assert "event: ended" in body
    assert portal.get("/portal/inbox", follow_redirects=False).headers["location"] == "/portal"
