"""The inbox page's lists page instead of being cut: with more messages and referrals than one
page holds, "older" and "newer" links (and "next page" / "previous page") reach every one of
them exactly once, and a message arriving meanwhile does not shift a page already linked."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from producers.scenario import Submission
from services.api.portal import paging
from services.bootstrap import Platform
from tests.api.test_portal import Clock, clock, portal, sign_in, staff  # noqa: F401
from tests.api.world import NGO, NOW, OWNER, World, referral_sent
from tests.support.pipeline import submit_in_order

PAGE = 3
MORE = 7  # referrals sent to the NGO beyond the world's one: 8 in all, three pages


@pytest.fixture
def busy(
    platform: Platform,
    pipeline: Pipeline,
    world: World,
    portal: TestClient,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> TestClient:
    monkeypatch.setattr(paging, "MESSAGES_PAGE", PAGE)
    monkeypatch.setattr(paging, "REFERRALS_PAGE", PAGE)
    refer_more(platform, pipeline, world, MORE)
    sign_in(portal, "ana")
    return portal


def refer_more(platform: Platform, pipeline: Pipeline, world: World, count: int) -> None:
    at = NOW - dt.timedelta(hours=1)
    submit_in_order(
        platform,
        pipeline,
        [
            Submission(OWNER, referral_sent(OWNER, world.case_x, uuid.uuid4(), NGO, at))
            for _ in range(count)
        ],
    )


def positions(html: str) -> list[str]:
    return re.findall(r'<tr class="message" data-position="(\d+:\d+)"', html)


def link_named(html: str, label: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)"[^>]*>{label}</a>', html)
    return found.group(1).replace("&amp;", "&") if found else None


def api_inbox(client: TestClient, world: World) -> list[str]:
    page = client.get("/v1/inbox?limit=500", headers=world.headers("ngo")).json()
    return [f"{m['partition']}:{m['offset']}" for m in page["messages"]]


def walk(client: TestClient, start: str, label: str, read: object) -> list[list[str]]:
    """The pages met by following ``label`` links from ``start`` until there is none."""
    pages, url = [], start
    while url is not None:
        html = client.get(url).text
        pages.append(read(html))  # type: ignore[operator]
        url = link_named(html, label)
        assert len(pages) < 20, "the links go round in a circle"
    return pages


def test_older_and_newer_links_reach_every_message_once(busy: TestClient, world: World) -> None:
    every = api_inbox(busy, world)
    assert len(every) > 2 * PAGE  # more than two pages' worth
    older = walk(busy, "/portal/inbox", "Starije", positions)
    assert all(0 < len(page) <= PAGE for page in older)
    assert sorted(p for page in older for p in page) == sorted(every)  # none twice, none missing
    assert len(older[0]) == PAGE and older[0] == list(reversed(every))[:PAGE]  # newest first
    # Back from the oldest page by "newer": the same pages, in reverse.
    oldest = busy.get("/portal/inbox").text
    url = link_named(oldest, "Starije")
    while url is not None:
        last_url, url = url, link_named(busy.get(url).text, "Starije")
    newer = walk(busy, last_url, "Novije", positions)
    assert sorted(p for page in newer for p in page) == sorted(every)
    assert newer[-1] == older[0] and "Novije" not in busy.get("/portal/inbox").text


def test_a_message_arriving_does_not_shift_an_older_page(
    busy: TestClient, world: World, platform: Platform, pipeline: Pipeline
) -> None:
    second = link_named(busy.get("/portal/inbox").text, "Starije")
    assert second is not None
    before = positions(busy.get(second).text)
    refer_more(platform, pipeline, world, 2)
    assert positions(busy.get(second).text) == before
    assert "Najnovije" in busy.get(second).text  # and it says there is something newer


def referral_ids(html: str) -> list[str]:
    return re.findall(r'<li class="referral" id="referral-([0-9a-f-]+)"', html)


def test_the_referrals_received_page_with_how_many_they_are(busy: TestClient) -> None:
    first = busy.get("/portal/inbox").text
    assert f"1–{PAGE} od {MORE + 1}" in first
    pages = walk(busy, "/portal/inbox", "Sledeća strana", referral_ids)
    assert [len(p) for p in pages] == [3, 3, 2]
    assert len({r for page in pages for r in page}) == MORE + 1
    last = busy.get(f"/portal/inbox?received={2 * PAGE}").text
    assert f"7–8 od {MORE + 1}" in last and "Sledeća strana" not in last
    assert link_named(last, "Prethodna strana") == f"/portal/inbox?received={PAGE}#received-heading"


def test_a_bad_place_in_a_list_is_refused_with_a_4xx(busy: TestClient) -> None:
    assert busy.get("/portal/inbox?before=not-a-cursor").status_code == 422
    assert busy.get("/portal/inbox?after=0:-1").status_code == 422
    assert busy.get("/portal/inbox?received=-1").status_code == 422
    assert busy.get("/portal/inbox?sent=x").status_code == 422
    # A place past the end shows the last page, not an empty one.
    assert referral_ids(busy.get("/portal/inbox?received=999").text)
