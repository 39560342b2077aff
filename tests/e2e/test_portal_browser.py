"""The portal in headless Chromium, as a person uses it: after a simulated run, the centre in
Lazarevac refers a new case to the NGO over the API; a counsellor of the NGO signs in with only a
browser, finds the referral in her inbox, presses Accept, and sees it accepted, as does the
centre; then she reports the service completed. Screenshots at a phone's and a desktop's width
are kept under the test's directory."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli.main import app as cli
from tests.api.world import as_json, case_opened, referral_sent
from tests.support.devtools import Page, headless_chromium
from tests.support.portal_browser import (
    PASSWORD,
    add_staff,
    chromium_or_skip,
    eventually,
    shoot,
    simulated_platform,
)
from tests.support.serving import serving

pytestmark = pytest.mark.browser
CENTRE, NGO = "csr.lazarevac", "ngo.azc"


def centre_refers_a_new_case(url: str, token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A case opened and referred to the NGO, both accepted by the exchange."""
    case_id, referral_id = uuid.uuid4(), uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=bearer, timeout=30) as api:
        for event in (
            case_opened(CENTRE, case_id, "lazarevac", now),
            referral_sent(CENTRE, case_id, referral_id, NGO, now),
        ):
            receipt = api.post("/v1/events", json=as_json(event))
            assert receipt.status_code == 202, receipt.text

            def decided(status_url: str = receipt.json()["status_url"]) -> str | None:
                """the exchange decides on the event"""
                status: str = api.get(status_url).json()["status"]
                return status if status != "pending" else None

            assert eventually(decided) == "accepted"
    return case_id, referral_id


def referral_status(url: str, token: str, case_id: uuid.UUID) -> str:
    with httpx.Client(base_url=url, timeout=30) as api:
        case: dict[str, Any] = api.get(
            f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}
        ).json()
    [referral] = case["referrals"]
    return str(referral["status"])


def live_referral_appears_without_reload(page: Page, url: str, token: str) -> None:
    """With the inbox open, a referral the centre sends over the API appears on the page by
    itself: the page's script (allowed by the policy, nothing blocked) fetched it."""
    page.send("Runtime.evaluate", expression="window.stillTheSamePage = true")
    assert (
        'id="live" class="live"' in page.html()
        and " hidden" not in page.html().split('id="live"')[1].split(">")[0]
    ), "the script runs and says the page is live"
    _, second = centre_refers_a_new_case(url, token)

    def appeared() -> str | None:
        """the new referral appears on the open page, without a reload"""
        html = page.html()
        return html if f'id="referral-{second}" data-status="sent"' in html else None

    html = eventually(appeared)
    assert "Something new arrived." in html
    same = page.send("Runtime.evaluate", expression="window.stillTheSamePage === true")
    assert same["result"]["value"] is True, "the page was not reloaded"
    assert page.console_errors() == []  # no Content-Security-Policy violation, no failed fetch


def the_inbox_works_with_script_off(page: Page, url: str, referral_id: uuid.UUID) -> None:
    """Another tab of the same browser, script off: the same inbox, its answers as forms, and
    no claim that it updates itself."""
    page.send("Emulation.setScriptExecutionDisabled", value=True)
    page.open(f"{url}/portal/inbox?lang=en")
    html = page.html()
    assert f'id="referral-{referral_id}" data-status="sent"' in html
    assert f'action="/portal/referrals/{referral_id}/accept"' in html
    live = html.split('id="live"')[1].split(">")[0]
    assert "hidden" in live, "without script the page does not say it is live"
    page.send("Page.close")


def test_a_counsellor_signs_in_accepts_and_completes_a_referral(tmp_path: Path) -> None:
    path = chromium_or_skip()
    data_dir = simulated_platform(tmp_path)
    issued = CliRunner().invoke(
        cli,
        ["tokens", "issue", "--institution", CENTRE, "--role", "institution",
         "--data-dir", str(data_dir)],
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    centre_token = issued.output.strip().splitlines()[-1]
    add_staff(data_dir, "ana.petrovic", NGO, "ngo-counsellor")
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with serving(tmp_path, data_dir) as url:
        case_id, referral_id = centre_refers_a_new_case(url, centre_token)
        item = f"#referral-{referral_id}"
        with headless_chromium(path, tmp_path / "profile") as browser:
            page = browser.new_page()
            page.open(f"{url}/portal?lang=en")
            assert "Sign in" in page.html()
            assert page.accessibility_violations() == []
            shoot(page, shots, "sign-in")
            page.type("#username", "ana.petrovic")
            page.type("#password", PASSWORD)
            page.click("form.card button[type=submit]")
            assert page.url().endswith("/portal/inbox"), page.html()[-2000:]

            def listed() -> str | None:
                """the NGO's inbox lists the new referral"""
                html = page.html()
                if f'id="referral-{referral_id}"' in html:
                    return html
                page.reload()
                return None

            inbox = eventually(listed)
            assert "Signed in as" in inbox and "ana.petrovic" in inbox and CENTRE in inbox
            assert f'id="referral-{referral_id}" data-status="sent"' in inbox
            live_referral_appears_without_reload(page, url, centre_token)
            the_inbox_works_with_script_off(browser.new_page(), url, referral_id)
            page.send("Page.bringToFront")  # a tab in the background draws no screenshot
            assert page.accessibility_violations() == []
            shoot(page, shots, "inbox", at=item)

            page.click(f"{item} button.accept")
            assert "Your answer went to the exchange" in page.html()

            def accepted() -> str | None:
                """the referral shows as accepted"""
                html = page.html()
                if f'id="referral-{referral_id}" data-status="accepted"' in html:
                    return html
                page.reload()
                return None

            after = eventually(accepted)
            block = after.split(f'id="referral-{referral_id}"')[1].split("</li>")[0]
            assert 'class="accept"' not in block and "prihvaćeno" not in block  # English, done
            assert "accepted" in block
            shoot(page, shots, "accepted", at=item)
            # The sender sees the answer too, through the API.
            assert referral_status(url, centre_token, case_id) == "accepted"

            # The service given, she reports it completed (the first outcome: goal achieved).
            page.click(f"{item} button.complete")

            def completed() -> str | None:
                """the referral shows as completed"""
                html = page.html()
                if f'id="referral-{referral_id}" data-status="completed"' in html:
                    return html
                page.reload()
                return None

            eventually(completed)
            assert referral_status(url, centre_token, case_id) == "completed"
            # The case opens from the referral, with its timeline.
            page.click(f"{item} a.case-link")
            case_page = page.html()
            assert "Timeline" in case_page and page.url().endswith(f"/portal/cases/{case_id}")
            assert 'data-event-type="ReferralCompleted"' in case_page
            assert page.accessibility_violations() == []
            shoot(page, shots, "case")
            assert page.console_errors() == []  # the policy blocked nothing the page needs

            page.click("header form button[type=submit]")  # sign out
            assert "Sign in" in page.html()
            page.open(f"{url}/portal/inbox")
            assert page.url().endswith("/portal"), "signed out, the inbox sends back to sign-in"
