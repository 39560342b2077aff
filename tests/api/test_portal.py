"""The web portal as a person uses it: a social worker of the NGO signs in, sees the referral
the centre sent, accepts or declines it, and signs out; a guesser is locked out, a forged form
is refused, a hostile string is shown as text, and another institution's referral is 404."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from markupsafe import escape

from consumers.pipeline import Pipeline
from schemas.topics import ACCESS_LOG, CASE_EVENTS, TOKEN_ID
from services.api.app import create_app
from services.api.limits import WriteRate
from services.api.portal import routes
from services.api.portal.accounts import LOCK_AFTER, StaffAccount, StaffStore
from services.api.portal.addresses import ADDRESS_FAILURES, ADDRESS_WINDOW
from services.bootstrap import Platform
from services.bus import BusError
from tests.api.world import FOREIGN, NGO, NOW, OWNER, World
from tests.support.hostile import BIG_CHARS, LOOKALIKES, UNREGISTERED
from tests.support.pipeline import decoded, read_topic

PASSWORD = "correct horse battery staple"
MARKUP = (
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE portal_staff; --",
    "{{ 7*7 }}",
    "&amp;<b>bold</b>",
    "javascript:alert(1)",
)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def staff(platform: Platform, world: World) -> dict[str, StaffAccount]:
    store = StaffStore(platform.views_engine)
    return {
        "ana": store.add("ana", PASSWORD, institution=NGO, role="NGO_COUNSELLOR", now=NOW),
        "marko": store.add("marko", PASSWORD, institution=FOREIGN, role="SOCIAL_WORKER", now=NOW),
        "jelena": store.add("jelena", PASSWORD, institution=OWNER, role="CASE_MANAGER", now=NOW),
    }


@pytest.fixture
def portal(
    platform: Platform, staff: dict[str, StaffAccount], clock: Clock
) -> Iterator[TestClient]:
    with TestClient(create_app(platform, clock=clock), raise_server_exceptions=False) as client:
        yield client


def csrf_of(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:2000]
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    form = client.get("/portal")
    return client.post(
        "/portal/login",
        data={"username": username, "password": password, "csrf": csrf_of(form)},
        follow_redirects=False,
    )


def referral_item(page: Response, referral_id: object) -> str:
    found = re.search(rf'<li class="referral" id="referral-{referral_id}".*?</li>', page.text, re.S)
    assert found, page.text
    return found.group(0)


def test_a_wrong_password_answers_401_with_the_form_and_the_right_one_opens_the_inbox(
    portal: TestClient,
) -> None:
    wrong = sign_in(portal, "ana", "not the password")
    assert wrong.status_code == 401
    assert 'action="/portal/login"' in wrong.text and "Pogrešno korisničko ime" in wrong.text
    # One browser, two tabs: both forms hold the same token, so either may sign in.
    assert csrf_of(portal.get("/portal")) == csrf_of(portal.get("/portal"))
    unknown = sign_in(portal, "nobody")
    assert unknown.status_code == 401 and unknown.text.count("Pogrešno") == 1

    signed = sign_in(portal, "ana")
    assert signed.status_code == 303 and signed.headers["location"] == "/portal/inbox"
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("pvz_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/portal" in cookie
    assert "Secure" not in cookie  # plain HTTP here (a test client); see the TLS test below
    inbox = portal.get("/portal/inbox")
    assert inbox.status_code == 200 and "ana" in inbox.text and NGO in inbox.text


def test_the_session_cookie_is_secure_when_the_request_came_over_tls(
    platform: Platform, staff: dict[str, StaffAccount]
) -> None:
    with TestClient(create_app(platform), base_url="https://portal.example") as client:
        signed = sign_in(client, "ana")
    cookies = signed.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("pvz_session="))
    assert "Secure" in session and "HttpOnly" in session and "SameSite=strict" in session


def test_repeated_failures_lock_the_account_for_a_quarter_of_an_hour(
    portal: TestClient, clock: Clock
) -> None:
    for _ in range(LOCK_AFTER):
        assert sign_in(portal, "ana", "guess").status_code == 401
    locked = sign_in(portal, "ana")  # even the right password waits
    assert locked.status_code == 429 and "Previše neuspelih prijava" in locked.text
    assert sign_in(portal, "marko").status_code == 303  # one account's lock is not another's
    portal.cookies.clear()  # another person at the same browser
    clock.advance(minutes=16)
    assert sign_in(portal, "ana").status_code == 303


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    portal: TestClient, world: World, pipeline: Pipeline
) -> None:
    no_token = portal.post("/portal/login", data={"username": "ana", "password": PASSWORD})
    assert no_token.status_code == 403 and "pvz_session" not in no_token.headers.get(
        "set-cookie", ""
    )
    assert sign_in(portal, "ana").status_code == 303
    accept = f"/portal/referrals/{world.referral_x}/accept"
    assert portal.post(accept).status_code == 403
    assert portal.post(accept, data={"csrf": "forged"}).status_code == 403
    assert portal.post("/portal/logout").status_code == 403
    pipeline.drain()
    assert 'data-status="sent"' in referral_item(portal.get("/portal/inbox"), world.referral_x)


def test_every_portal_answer_carries_a_policy_that_allows_only_its_own_script_files(
    portal: TestClient, world: World
) -> None:
    pages = [portal.get("/portal"), portal.get("/portal/static/portal.css")]
    pages.append(portal.post("/portal/login", data={}))  # refused: still with the headers
    sign_in(portal, "ana")
    pages += [portal.get("/portal/inbox"), portal.get("/portal/no-such-page")]
    inbox = pages[3]
    pages.append(
        portal.post(f"/portal/referrals/{world.referral_y}/accept", data={"csrf": csrf_of(inbox)})
    )
    for page in pages:
        policy = page.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'none'" and directives["script-src"] == "'self'"
        assert directives["connect-src"] == "'self'"
        assert "unsafe-" not in policy and "frame-ancestors 'none'" in policy
        assert page.headers["x-content-type-options"] == "nosniff"
    # No inline script and no inline handler: only script files of the portal's own.
    scripts = [s for p in pages for s in re.findall(r"<script[^>]*>.*?</script>", p.text, re.S)]
    assert scripts == ['<script src="/portal/static/live.js" defer></script>']
    assert not any(re.search(r"<[^>]+\son[a-z]+\s*=", p.text) for p in pages)
    assert inbox.headers["cache-control"] == "no-store"


def test_hostile_strings_are_shown_as_text(portal: TestClient, clock: Clock) -> None:
    corpus = [*MARKUP, *BIG_CHARS, *UNREGISTERED, *(f("csr.lazarevac") for f in LOOKALIKES)]
    for n, text in enumerate(corpus):
        if n and n % (ADDRESS_FAILURES - 1) == 0:  # past the limit on failures per address
            clock.advance(seconds=ADDRESS_WINDOW.total_seconds() + 1)
        name = text.strip().lower()[:64]
        page = sign_in(portal, name)
        assert page.status_code == 401
        assert f'value="{escape(name)}"' in page.text  # echoed into the form as text
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "<b>bold</b>" not in page.text
    shown = sign_in(portal, MARKUP[0]).text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in shown
    sign_in(portal, "ana")
    inbox = portal.get("/portal/inbox")
    refused = portal.post(
        "/portal/referrals/x/decline", data={"csrf": csrf_of(inbox), "reason_code": MARKUP[1]}
    )
    assert refused.status_code == 422 and "&lt;img src=x onerror=alert(1)&gt;" in refused.text


def test_accepting_a_referral_goes_through_the_exchange_as_the_account_and_its_role(
    portal: TestClient, world: World, platform: Platform, pipeline: Pipeline,
    staff: dict[str, StaffAccount],
) -> None:  # fmt: skip
    sign_in(portal, "ana")
    inbox = portal.get("/portal/inbox")
    item = referral_item(inbox, world.referral_x)
    assert 'data-status="sent"' in item and "csr.lazarevac" in item and "Prihvati" in item
    assert "ReferralSent" in inbox.text  # the inbox's latest messages
    accepted = portal.post(
        f"/portal/referrals/{world.referral_x}/accept",
        data={"csrf": csrf_of(inbox)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"].startswith("/portal/inbox?done=accepted")
    waiting = referral_item(portal.get(accepted.headers["location"]), world.referral_x)
    assert "čeka se odluka razmene" in waiting and "Prihvati" not in waiting  # no second answer
    pipeline.drain()
    after = portal.get(accepted.headers["location"])
    assert 'data-status="accepted"' in referral_item(after, world.referral_x)
    assert "prihvaćeno" in after.text and "Odgovor je poslat razmeni" in after.text
    assert re.search(r'data-decision="accepted"><td>[^<]+</td><td>ana</td>', after.text)

    # The same event an API caller's answer makes, in the account's staff role (never its name).
    events = decoded(platform, read_topic(platform, CASE_EVENTS, settle=0.2))
    [answer] = [e for e in events if e.event_type == "ReferralAccepted"]
    assert answer.record["header"]["actor_role"] == "NGO_COUNSELLOR"
    assert answer.record["header"]["source_institution"] == NGO
    # Who exactly acted stays with the portal, as ActorRole asks of an institution's system.
    [(event_id, event_type, referral_id, _)] = StaffStore(platform.views_engine).actions("ana")
    assert (event_id, event_type) == (str(answer.record["header"]["event_id"]), "ReferralAccepted")
    assert referral_id == str(world.referral_x)
    # The reads are in the access log under the account's id, as a token's would be.
    readers = {r.header(TOKEN_ID) for r in read_topic(platform, ACCESS_LOG, settle=0.2)}
    assert staff["ana"].account_id.encode() in readers
    assert b"ana" not in readers


def test_a_referral_is_declined_with_a_coded_reason(
    portal: TestClient, world: World, pipeline: Pipeline
) -> None:
    sign_in(portal, "ana")
    inbox = portal.get("/portal/inbox", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Referrals received" in inbox.text and "No capacity" in inbox.text
    declined = portal.post(
        f"/portal/referrals/{world.referral_x}/decline",
        data={"csrf": csrf_of(inbox), "reason_code": "NO_CAPACITY"},
    )
    assert declined.status_code == 200
    pipeline.drain()
    item = referral_item(portal.get("/portal/inbox?lang=en"), world.referral_x)
    assert 'data-status="declined"' in item and "No capacity" in item
    again = portal.post(
        f"/portal/referrals/{world.referral_x}/accept", data={"csrf": csrf_of(inbox)}
    )
    assert again.status_code == 409


def test_another_institutions_referral_is_not_found_and_never_listed(
    portal: TestClient, world: World, pipeline: Pipeline
) -> None:
    sign_in(portal, "ana")
    inbox = portal.get("/portal/inbox")
    assert str(world.referral_y) not in inbox.text and str(world.case_y) not in inbox.text
    for answer in ("accept", "decline"):
        refused = portal.post(
            f"/portal/referrals/{world.referral_y}/{answer}",
            data={"csrf": csrf_of(inbox), "reason_code": "NO_CAPACITY"},
        )
        assert refused.status_code == 404 and "Nije pronađeno" in refused.text
    pipeline.drain()
    # The centre in Kragujevac signs in and sees nothing of the NGO's referral.
    portal.post("/portal/logout", data={"csrf": csrf_of(inbox)})
    sign_in(portal, "marko")
    theirs = portal.get("/portal/inbox")
    assert str(world.referral_x) not in theirs.text and str(world.case_x) not in theirs.text
    assert str(world.case_y) in theirs.text  # the referral it sent


def test_signing_out_and_idling_end_the_session(portal: TestClient, clock: Clock) -> None:
    assert portal.get("/portal/inbox", follow_redirects=False).headers["location"] == "/portal"
    sign_in(portal, "ana")
    inbox = portal.get("/portal/inbox")
    assert inbox.status_code == 200
    clock.advance(minutes=29)
    assert portal.get("/portal/inbox", follow_redirects=False).status_code == 200
    clock.advance(minutes=31)
    assert portal.get("/portal/inbox", follow_redirects=False).status_code == 303

    sign_in(portal, "ana")
    session = portal.cookies.get("pvz_session")
    out = portal.post("/portal/logout", data={"csrf": csrf_of(portal.get("/portal/inbox"))})
    assert out.url.path == "/portal" and "Prijava" in out.text
    portal.cookies.set("pvz_session", session or "", path="/portal")  # a copied cookie
    assert portal.get("/portal/inbox", follow_redirects=False).status_code == 303


def test_a_disabled_account_cannot_sign_in_and_its_session_ends(
    portal: TestClient, platform: Platform
) -> None:
    sign_in(portal, "ana")
    assert portal.get("/portal/inbox", follow_redirects=False).status_code == 200
    assert StaffStore(platform.views_engine).disable("ana", now=NOW)
    assert portal.get("/portal/inbox", follow_redirects=False).status_code == 303
    assert sign_in(portal, "ana").status_code == 401


def test_the_language_follows_the_browser_or_the_chosen_link(portal: TestClient) -> None:
    assert "Prijava" in portal.get("/portal").text  # Serbian by default
    assert "Sign in" in portal.get("/portal", headers={"Accept-Language": "en-US"}).text
    assert "Prijava" in portal.get("/portal", headers={"Accept-Language": "hr, en"}).text
    chosen = portal.get("/portal?lang=en")
    assert "Sign in" in chosen.text and 'lang="en"' in chosen.text
    assert "Sign in" in portal.get("/portal").text  # remembered by the cookie


def test_a_bus_down_for_a_moment_is_a_page_asking_to_try_again(
    portal: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_args: object, **_kwargs: object) -> None:
        raise BusError("the log is unreachable")

    sign_in(portal, "ana")
    inbox = portal.get("/portal/inbox")
    monkeypatch.setattr(routes, "answer_referral", down)
    answer = portal.post(
        f"/portal/referrals/{world.referral_x}/accept", data={"csrf": csrf_of(inbox)}
    )
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"].startswith("text/html")
    assert "Pokušajte ponovo" in answer.text and "content-security-policy" in answer.headers


def test_an_answer_the_exchange_rejects_is_shown_with_its_reason(
    portal: TestClient, world: World, pipeline: Pipeline, clock: Clock
) -> None:
    sign_in(portal, "ana")
    csrf = csrf_of(portal.get("/portal/inbox"))
    path = f"/portal/referrals/{world.referral_x}"
    assert portal.post(f"{path}/accept", data={"csrf": csrf}).status_code == 200
    clock.advance(seconds=5)
    # A colleague's decline crossing it: both reach the exchange, which takes the first only.
    declined = portal.post(f"{path}/decline", data={"csrf": csrf, "reason_code": "NO_CAPACITY"})
    assert declined.status_code == 200
    pipeline.drain()
    page = portal.get("/portal/inbox?lang=en")
    rows = re.findall(r'<tr class="answer" data-event="[^"]+" data-decision="(\w+)">(.*?)</tr>',
                      page.text)  # fmt: skip
    assert [decision for decision, _ in rows] == ["rejected", "accepted"]  # newest first
    assert "rejected by the exchange: " in rows[0][1] and "declined" in rows[0][1]
    assert 'data-status="accepted"' in referral_item(page, world.referral_x)


def test_an_accepted_referral_is_completed_with_its_outcome(
    portal: TestClient, world: World, pipeline: Pipeline
) -> None:
    sign_in(portal, "ana")
    path = f"/portal/referrals/{world.referral_x}"
    portal.post(f"{path}/accept", data={"csrf": csrf_of(portal.get("/portal/inbox"))})
    pipeline.drain()
    inbox = portal.get("/portal/inbox")
    item = referral_item(inbox, world.referral_x)
    assert f'action="{path}/complete"' in item and "Cilj postignut" in item
    csrf = csrf_of(inbox)
    wrong = portal.post(f"{path}/complete", data={"csrf": csrf, "outcome": "VICTORY"})
    assert wrong.status_code == 422
    done = portal.post(
        f"{path}/complete", data={"csrf": csrf, "outcome": "GOAL_ACHIEVED"}, follow_redirects=False
    )
    assert done.status_code == 303 and "done=completed" in done.headers["location"]
    pipeline.drain()
    item = referral_item(portal.get("/portal/inbox"), world.referral_x)
    assert 'data-status="completed"' in item and "<form" not in item


def test_only_the_sender_withdraws_a_referral_and_the_recipient_sees_it_withdrawn(
    portal: TestClient, world: World, pipeline: Pipeline
) -> None:
    sign_in(portal, "ana")  # the recipient cannot withdraw it
    refused = portal.post(
        f"/portal/referrals/{world.referral_x}/revoke",
        data={"csrf": csrf_of(portal.get("/portal/inbox")), "reason": "REDIRECTED"},
    )
    assert refused.status_code == 404
    portal.cookies.clear()
    sign_in(portal, "jelena")
    sent = portal.get("/portal/inbox")
    row = re.search(rf'<tr class="sent-referral" id="referral-{world.referral_x}".*?</tr>',
                    sent.text, re.S)  # fmt: skip
    assert row and 'data-status="sent"' in row.group(0) and "Povuci" in row.group(0)
    withdrawn = portal.post(
        f"/portal/referrals/{world.referral_x}/revoke",
        data={"csrf": csrf_of(sent), "reason": "REDIRECTED"},
    )
    assert withdrawn.status_code == 200
    pipeline.drain()
    assert (
        f'id="referral-{world.referral_x}" data-status="revoked"'
        in portal.get("/portal/inbox").text
    )
    portal.cookies.clear()
    sign_in(portal, "ana")
    item = referral_item(portal.get("/portal/inbox"), world.referral_x)
    assert 'data-status="revoked"' in item and "<form" not in item


def test_a_case_of_the_institution_opens_with_its_timeline_and_another_is_not_found(
    portal: TestClient, world: World, platform: Platform, staff: dict[str, StaffAccount]
) -> None:
    sign_in(portal, "ana")
    inbox = portal.get("/portal/inbox")
    assert f'href="/portal/cases/{world.case_x}"' in inbox.text
    case = portal.get(f"/portal/cases/{world.case_x}?lang=en")
    assert case.status_code == 200 and "Timeline" in case.text
    events = re.findall(r'data-event-type="(\w+)"', case.text)
    assert events[:3] == ["CaseOpened", "SubjectRegistered", "ReferralSent"]
    assert "lazarevac" in case.text and 'class="case-referral" data-status="sent"' in case.text
    person = world.people[world.subject_x]
    assert all(str(v) not in case.text for v in person.model_dump().values() if v)  # sealed
    for elsewhere in (world.case_y, uuid.uuid4(), "not-a-case"):
        refused = portal.get(f"/portal/cases/{elsewhere}")
        assert refused.status_code == 404 and "Not found" in refused.text
    # The case read is in the access log, as the account's, like an API read of it.
    records = read_topic(platform, ACCESS_LOG, settle=0.2)
    logged = [
        (r.header(TOKEN_ID), d.record["resource"])
        for r, d in zip(records, decoded(platform, records), strict=True)
        if r.key == str(world.case_x).encode()
    ]
    assert (staff["ana"].account_id.encode(), "case") in logged


def test_the_apis_write_rate_holds_for_each_account(
    portal: TestClient, world: World, pipeline: Pipeline
) -> None:
    portal.app.state.context.writes = WriteRate(rate=0.01, burst=1)  # type: ignore[attr-defined]
    sign_in(portal, "ana")
    csrf = csrf_of(portal.get("/portal/inbox"))
    path = f"/portal/referrals/{world.referral_x}"
    assert portal.post(f"{path}/accept", data={"csrf": csrf}).status_code == 200
    again = portal.post(f"{path}/decline", data={"csrf": csrf, "reason_code": "DUPLICATE"})
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
    assert "Previše odgovora" in again.text
