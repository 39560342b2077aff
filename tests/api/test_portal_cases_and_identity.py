"""The portal's case list and unsealing a subject's identity, as people and attackers use them:
the list holds the institution's cases only, a page at a time; an identity is shown only on the
answer to a form that states a purpose, never on a GET, never for another institution's
subject, and every unsealing is on the access log under the person's account."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from schemas.topics import ACCESS_LOG, TOKEN_ID
from services.api.portal import cases
from services.api.portal.accounts import StaffAccount
from services.api.tokens import Role, TokenStore
from services.bootstrap import Platform
from tests.api.test_portal import csrf_of, sign_in
from tests.api.test_portal_forms import fill
from tests.api.world import NGO, NOW, World
from tests.support.pipeline import decoded, read_topic


def listed_cases(page_text: str) -> list[str]:
    return re.findall(r'<tr class="case-row" data-case="([^"]+)">', page_text)


def identity_shown(world: World, subject: object, text: str) -> bool:
    person = world.people[subject]  # type: ignore[index]
    return any(
        str(v) in text
        for v in (person.given_name, person.family_name, person.jmbg, person.address)
        if v
    )


def access_records(platform: Platform) -> list[tuple[bytes | None, dict[str, object]]]:
    records = read_topic(platform, ACCESS_LOG, settle=0.2)
    return [
        (r.header(TOKEN_ID), d.record)
        for r, d in zip(records, decoded(platform, records), strict=True)
    ]


# -- the case list ------------------------------------------------------------------------------


def test_the_case_list_holds_the_institutions_cases_only_and_links_to_each(
    portal: TestClient,
    world: World,
    platform: Platform,
    staff: dict[str, StaffAccount],
) -> None:
    sign_in(portal, "ana")
    page = portal.get("/portal/cases")
    assert page.status_code == 200
    assert listed_cases(page.text) == [str(world.case_x)]
    assert f'href="/portal/cases/{world.case_x}"' in page.text
    assert str(world.case_y) not in page.text
    assert 'href="/portal/cases"' in portal.get("/portal/inbox").text  # reachable from the nav
    assert listed_cases(portal.get("/portal/cases?status=closed").text) == []
    # Listing is reading: on the access log under the account, as the API's list is.
    logged = [(t, r["resource"]) for t, r in access_records(platform)]
    assert (staff["ana"].account_id.encode(), "case-list") in logged
    portal.cookies.clear()
    sign_in(portal, "marko")
    assert listed_cases(portal.get("/portal/cases").text) == [str(world.case_y)]
    portal.cookies.clear()
    assert portal.get("/portal/cases", follow_redirects=False).status_code == 303  # signed out


def test_the_case_list_is_paged(
    portal: TestClient, world: World, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(portal, "jelena")
    for _ in range(2):  # two more cases opened from the portal's form
        opened = fill(portal, "CaseOpened", municipality="lazarevac", report_channel="IN_PERSON",
                      relationship="SPOUSE")  # fmt: skip
        assert opened.status_code == 303, opened.text[:2000]
    pipeline.drain()
    monkeypatch.setattr(cases, "CASES_PER_PAGE", 2)
    first = portal.get("/portal/cases")
    second = portal.get("/portal/cases?page=2")
    shown = listed_cases(first.text) + listed_cases(second.text)
    assert len(listed_cases(first.text)) == 2 and len(shown) == 3 and len(set(shown)) == 3
    assert str(world.case_x) in shown and str(world.case_y) not in shown
    assert 'rel="next" href="/portal/cases?page=2"' in first.text and 'rel="prev"' not in first.text
    assert (
        'rel="prev" href="/portal/cases?page=1"' in second.text and 'rel="next"' not in second.text
    )
    assert listed_cases(portal.get("/portal/cases?page=3").text) == []
    for wrong in ("0", "-1", "abc", "1e3", "99999999", "²"):
        refused = portal.get("/portal/cases", params={"page": wrong})
        assert refused.status_code == 422, wrong
    assert portal.get("/portal/cases?status=%3Cscript%3E").status_code == 422


# -- unsealing an identity ----------------------------------------------------------------------


def test_the_case_page_offers_unsealing_with_a_purpose_and_never_shows_the_identity(
    portal: TestClient, world: World
) -> None:
    sign_in(portal, "ana")
    case = portal.get(f"/portal/cases/{world.case_x}")
    form = re.search(rf'<form method="post" action="/portal/subjects/{world.subject_x}/identity"'
                     r".*?</form>", case.text, re.S)  # fmt: skip
    assert form and 'name="purpose" required' in form.group(0)
    assert '<option value="CASE_HANDLING">' in form.group(0)
    assert not identity_shown(world, world.subject_x, case.text)
    # A GET of the identity's address shows the form, never the identity.
    asked = portal.get(f"/portal/subjects/{world.subject_x}/identity")
    assert asked.status_code == 200 and 'name="purpose"' in asked.text
    assert not identity_shown(world, world.subject_x, asked.text)


def test_an_identity_is_shown_only_for_a_stated_purpose_and_the_unsealing_is_recorded(
    portal: TestClient,
    world: World,
    platform: Platform,
    staff: dict[str, StaffAccount],
) -> None:
    sign_in(portal, "ana")
    csrf = csrf_of(portal.get(f"/portal/cases/{world.case_x}"))
    url = f"/portal/subjects/{world.subject_x}/identity"
    for purpose in ("", "NOT_A_PURPOSE", "<script>"):
        refused = portal.post(url, data={"csrf": csrf, "purpose": purpose})
        assert refused.status_code == 422 and 'name="purpose"' in refused.text
        assert not identity_shown(world, world.subject_x, refused.text)
    assert not [r for _, r in access_records(platform) if r["identified"]]  # nothing unsealed

    shown = portal.post(url, data={"csrf": csrf, "purpose": "REFERRAL_PROCESSING",
                                   "case": str(world.case_x)})  # fmt: skip
    assert shown.status_code == 200
    person = world.people[world.subject_x]
    assert person.given_name in shown.text and str(person.jmbg) in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert f'href="/portal/cases/{world.case_x}"' in shown.text
    [(token, record)] = [(t, r) for t, r in access_records(platform) if r["identified"]]
    assert token == staff["ana"].account_id.encode()
    assert record["resource"] == "subject-identity" and record["purpose"] == "REFERRAL_PROCESSING"
    assert record["accessor_role"] == "NGO_COUNSELLOR"
    assert str(record["subject_id"]) == str(world.subject_x)
    assert record["accessor_institution"]["institution_id"] == "ngo.azc"  # type: ignore[index]


def test_another_institutions_subject_is_not_found_and_a_forged_form_unseals_nothing(
    portal: TestClient, world: World, platform: Platform
) -> None:
    sign_in(portal, "ana")
    csrf = csrf_of(portal.get("/portal/inbox"))
    foreign = portal.post(f"/portal/subjects/{world.subject_y}/identity",
                          data={"csrf": csrf, "purpose": "CASE_HANDLING"})  # fmt: skip
    assert foreign.status_code == 404 and not identity_shown(world, world.subject_y, foreign.text)
    for subject in (world.case_x, "not-an-id"):
        missing = portal.post(f"/portal/subjects/{subject}/identity",
                              data={"csrf": csrf, "purpose": "CASE_HANDLING"})  # fmt: skip
        assert missing.status_code == 404
    url = f"/portal/subjects/{world.subject_x}/identity"
    for forged in ({"purpose": "CASE_HANDLING"}, {"csrf": "forged", "purpose": "CASE_HANDLING"}):
        refused = portal.post(url, data=forged)
        assert refused.status_code == 403 and not identity_shown(
            world, world.subject_x, refused.text
        )
    portal.cookies.clear()
    signed_out = portal.post(url, data={"csrf": csrf, "purpose": "CASE_HANDLING"})
    assert signed_out.status_code == 401 and not identity_shown(
        world, world.subject_x, signed_out.text
    )
    assert not [r for _, r in access_records(platform) if r["identified"]]


def test_the_apis_identity_read_is_recorded_with_its_tokens_id(
    client: TestClient, world: World, platform: Platform
) -> None:
    issued = TokenStore(platform.views_engine).issue(NGO, Role.INSTITUTION, now=NOW)
    answer = client.get(
        f"/v1/subjects/{world.subject_x}/identity",
        headers={"Authorization": f"Bearer {issued.secret}", "X-Purpose": "CASE_HANDLING"},
    )
    assert answer.status_code == 200
    [(token, _)] = [(t, r) for t, r in access_records(platform) if r["identified"]]
    assert token == issued.token_id.encode()
