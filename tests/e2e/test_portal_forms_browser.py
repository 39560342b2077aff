"""The portal's forms in headless Chromium, as a social worker of the centre in Lazarevac uses
them after a simulated run: she finds an open case in the case list, opens the risk assessment
form from it, fills it in, sends it and sees what the exchange decided; then she unseals a
person's identity for a stated purpose. Each page passes axe-core (no serious or critical
violation); screenshots at a phone's and a desktop's width are kept under the test's directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.devtools import headless_chromium
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
CENTRE = "csr.lazarevac"


def test_a_social_worker_sends_a_risk_assessment_and_unseals_an_identity_for_a_purpose(
    tmp_path: Path,
) -> None:
    path = chromium_or_skip()
    data_dir = simulated_platform(tmp_path)
    add_staff(data_dir, "vesna.jovic", CENTRE, "social-worker")
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with (
        serving(tmp_path, data_dir) as url,
        headless_chromium(path, tmp_path / "profile") as browser,
    ):
        page = browser.new_page()
        page.open(f"{url}/portal?lang=en")
        page.type("#username", "vesna.jovic")
        page.type("#password", PASSWORD)
        page.click("form.card button[type=submit]")
        assert page.url().endswith("/portal/inbox"), page.html()[-2000:]

        # An open case of the centre, from the case list.
        page.click('header nav a[href="/portal/cases"]')
        page.click('a[href="/portal/cases?status=open"]')
        listed = page.html()
        assert 'class="case-row"' in listed, listed[-2000:]
        assert page.accessibility_violations() == []
        shoot(page, shots, "cases")
        case_id = re.findall(r'<tr class="case-row" data-case="([^"]+)">', listed)[0]
        assert f'href="/portal/cases/{case_id}"' in listed
        # Opened by its address: the id wraps over two lines at a phone's width, and a click
        # at the middle of the link's box would fall between them.
        page.open(f"{url}/portal/cases/{case_id}")

        # The risk assessment form, opened from the case: the case is filled in.
        page.click("a.new-event")
        assert page.accessibility_violations() == []
        page.click(f'a.event-type[href="/portal/events/RiskAssessed?case={case_id}"]')
        form = page.html()
        assert f'value="{case_id}"' in form and 'id="f-factors"' in form
        assert page.accessibility_violations() == []
        shoot(page, shots, "risk-form", at="#f-level")
        page.choose("#f-stage", "CSR_OPINION")
        page.choose("#f-assessed_by", "CSR")
        page.choose("#f-level", "HIGH")
        page.click("#f-factors-threats_to_kill", navigates=False)
        page.click("#event-form button[type=submit]")
        assert "/portal/submissions/" in page.url(), page.html()[-3000:]

        def decided() -> str | None:
            """the exchange decides on the risk assessment"""
            html = page.html()
            if 'data-decision="pending"' not in html:
                return html
            page.reload()
            return None

        answer = eventually(decided)
        assert 'data-decision="accepted"' in answer, answer[-2000:]
        assert "accepted by the exchange" in answer
        assert page.accessibility_violations() == []
        shoot(page, shots, "submission")

        # A person's identity, for a stated purpose.
        page.open(f"{url}/portal/cases/{case_id}")
        subject = re.findall(r'<tr class="subject" data-subject="([^"]+)">', page.html())[0]
        assert page.accessibility_violations() == []
        page.choose(f"#purpose-{subject}", "RISK_ASSESSMENT")
        page.click(f'tr[data-subject="{subject}"] form.unseal button[type=submit]')
        shown = page.html()
        assert 'id="identity"' in shown and "This access is recorded" in shown, shown[-2000:]
        assert page.accessibility_violations() == []
        assert page.console_errors() == []  # the policy blocked nothing the pages need
