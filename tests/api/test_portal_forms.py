"""Submitting events from the portal's forms, as a person would: every event type an
institution's kind may publish has a form; a risk assessment the centre for social work fills in
is accepted by the exchange and shown accepted; one the exchange rejects shows its reason; a
wrong field comes back marked, with everything typed kept; hostile strings stay text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response
from markupsafe import escape

from consumers.pipeline import Pipeline
from schemas.institutions import ID_PREFIX, PUBLISHABLE, Institution
from schemas.models import model_for
from schemas.topics import CASE_EVENTS
from services.api.app import create_app
from services.api.limits import WriteRate
from services.api.portal.accounts import StaffAccount, StaffStore
from services.api.portal.event_forms import event_form, submittable
from services.bootstrap import Platform
from tests.api.test_portal import MARKUP, PASSWORD, csrf_of, sign_in
from tests.api.world import NOW, OWNER, World
from tests.support.hostile import BIG_CHARS, LOOKALIKES, UNREGISTERED
from tests.support.pipeline import decoded, read_topic


class FormReader(HTMLParser):
    """The values a browser would send for a page's event form, as it shows them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        name = found.get("name")
        if tag == "input" and name:
            checkable = found.get("type") == "checkbox"
            if not checkable or "checked" in found:
                self.values.setdefault(name, []).append(found.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in found:
            self.values.setdefault(self._select, []).append(found.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, [""])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][-1] += data


def form_values(page: Response) -> dict[str, list[str]]:
    reader = FormReader()
    reader.feed(page.text)
    return reader.values


def fill(
    portal: TestClient, event_type: str, case: object = "", **typed: str | list[str]
) -> Response:
    """Open the event's form, change what the test types, and send it as a browser would."""
    shown = portal.get(f"/portal/events/{event_type}", params={"case": str(case)} if case else {})
    assert shown.status_code == 200, shown.text[:500]
    values = form_values(shown)
    for name, value in typed.items():
        values[name.replace("__", ".")] = value if isinstance(value, list) else [value]
    return portal.post(f"/portal/events/{event_type}", data=values, follow_redirects=False)


def assessment(**more: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "stage": "CSR_OPINION",
        "assessed_by": "CSR",
        "level": "HIGH",
        "factors__threats_to_kill": "on",
        **more,
    }


def test_every_event_type_a_kind_may_publish_has_a_form_that_renders(
    platform: Platform, world: World
) -> None:
    store = StaffStore(platform.views_engine)
    with TestClient(create_app(platform)) as client:
        for kind in sorted(set(PUBLISHABLE) - {"PLATFORM"}):
            institution = next(
                (i for i in platform.institutions if i.kind == kind and i.active), None
            )
            if institution is None:  # the region has none of this kind (e.g. OTHER): one joins
                prefix = ID_PREFIX[kind] or "nsz."
                institution = Institution(id=f"{prefix}test", kind=kind, name=f"Test {kind}")
                platform.institutions.add(institution)
            username = f"staff-{kind.lower().replace('_', '-')}"
            store.add(username, PASSWORD, institution=institution.id, role="OTHER", now=NOW)
            client.cookies.clear()
            assert sign_in(client, username).status_code == 303
            listed = client.get("/portal/events")
            offered = re.findall(r'class="event-type" href="/portal/events/(\w+)"', listed.text)
            assert offered == submittable(kind) and offered, kind
            assert "Izvršena je procena rizika" in listed.text or (
                "RiskAssessed" not in offered
            )  # each with what it says happened, from its schema
            for event_type in offered:
                page = client.get(f"/portal/events/{event_type}")
                assert page.status_code == 200, (kind, event_type)
                for name in event_form(event_type).names:
                    # Every field of the model has its input, or its fieldset (a nested record).
                    an_input = f'name="{name}"' in page.text
                    a_fieldset = f'id="f-{name.replace(".", "-")}"' in page.text
                    assert an_input or a_fieldset, (event_type, name)
                assert 'name="sealed' not in page.text  # the platform seals; nobody types it
            for event_type in ["AccessRecorded", "NoSuchEvent"]:
                assert client.get(f"/portal/events/{event_type}").status_code == 404


def test_a_generated_form_uses_the_schemas_types(portal: TestClient) -> None:
    sign_in(portal, "jelena")
    page = portal.get("/portal/events/RiskAssessed").text
    level = re.search(r'<select id="f-level" name="level" required[^>]*>(.*?)</select>', page, re.S)
    symbols = [s.value for s in model_for("RiskAssessed").model_fields["level"].annotation]  # type: ignore[union-attr]
    assert level and re.findall(r'<option value="(\w+)"', level.group(1)) == symbols
    assert symbols[:4] == ["STANDARD", "MEDIUM", "HIGH", "IMMINENT_DANGER"]
    assert '<fieldset id="f-factors"' in page  # a nested record
    assert 'name="factors.threats_to_kill" value="on"' in page  # a yes/no of the schema
    assert 'name="victim_subject_ids"' in page and "<textarea" in page  # a list of ids
    assert re.search(r'name="perpetrator_subject_id" value="" type="text"', page)  # optional
    assert not re.search(r'name="perpetrator_subject_id"[^>]*required', page)
    opened = portal.get("/portal/events/CooperationAgreementSigned")
    assert opened.status_code == 404  # a centre for social work signs no programme agreement
    registered = portal.get("/portal/events/SubjectRegistered").text
    assert '<label for="f-identity-family_name">Prezime' in registered  # the portal's words
    assert '<label for="f-role">Uloga' in registered  # the labels table's word for the rest
    assert 'name="identity.given_name"' in registered and 'name="sealed' not in registered
    assert 'type="date"' in registered  # the birth date


def shown_options(page: str) -> list[tuple[str, str]]:
    """(value sent, text shown) of every option and box to tick a form offers."""
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', page)
    boxes = re.findall(
        r'<input type="checkbox" name="[\w.]+" value="(\w+)"[^>]*> ([^<]*)</label>', page
    )
    return [(value, text.strip()) for value, text in options + boxes if value not in {"yes", "no"}]


def test_a_serbian_form_reads_serbian_and_still_sends_the_schemas_symbols(
    portal: TestClient,
) -> None:
    sign_in(portal, "jelena")
    risk = portal.get("/portal/events/RiskAssessed").text  # Serbian: the portal's default
    assert '<label for="f-level">Nivo rizika' in risk and "<legend>Faktori rizika" in risk
    assert '<label class="choice"><input type="checkbox" id="f-factors-threats_to_kill"' in risk
    assert "> Pretnje ubistvom</label>" in risk
    level = re.search(r'<select id="f-level".*?</select>', risk, re.S)
    assert level and '<option value="IMMINENT_DANGER">Neposredna opasnost</option>' in level.group()
    # Under every field a Serbian hint, in the page's language: no English marked as such.
    fields = re.search(
        r'<form method="post" action="/portal/events/RiskAssessed".*?</form>', risk, re.S
    )
    assert fields and '<p class="hint">Koji je ovo korak postupka.</p>' in fields.group()
    assert "Mogući učinilac je pretio ubistvom (ZSNP čl. 16 st. 2)." in fields.group()
    assert "na engleskom" not in fields.group() and 'lang="en"' not in fields.group()
    # Above the form too: what the event says happened, in Serbian.
    assert "Izvršena je procena rizika od neposredne opasnosti" in risk
    assert "na engleskom" not in risk
    referral = portal.get("/portal/events/ReferralSent").text
    assert '<label for="f-urgency">Hitnost' in referral and "Ustanova kojoj se upućuje" in referral
    for page in (risk, referral):
        offered = shown_options(page)
        assert len(offered) > 20
        for value, text in offered:  # the symbol is sent, words are shown
            assert text and text != value and not re.fullmatch(r"[A-Z0-9_]+", text), (value, text)
    assert ("P1", "Hitno (odgovor za 24 sata)") in shown_options(referral)
    # A refused form says what is wrong in the person's language.
    refused = fill(portal, "RiskAssessed", **assessment(level=""))
    assert refused.status_code == 422
    assert re.search(r'id="f-level-error-1">Ovo polje je obavezno\.</p>', refused.text)
    assert "Field required" not in refused.text
    wrong = fill(portal, "RiskAssessed", **assessment(level="NOT_A_LEVEL"))
    assert re.search(r'id="f-level-error-1">Izaberite jednu od ponuđenih vrednosti\.', wrong.text)
    # In English (chosen once, it sticks: its cookie), the schema's words and description.
    english = portal.get("/portal/events/RiskAssessed?lang=en").text
    assert '<label for="f-level">Risk level' in english and "> Threats to kill</label>" in english
    assert "Opis iz šeme" not in english and '<p class="hint" lang="en">Which procedural' in english
    in_english = fill(portal, "RiskAssessed", **assessment(level=""))
    assert re.search(r'id="f-level-error-1">Field required</p>', in_english.text)


def test_a_risk_assessment_is_accepted_by_the_exchange_and_shown_accepted(
    portal: TestClient, world: World, platform: Platform, pipeline: Pipeline,
    staff: dict[str, StaffAccount],
) -> None:  # fmt: skip
    sign_in(portal, "jelena")
    sent = fill(portal, "RiskAssessed", case=world.case_x, **assessment())
    assert sent.status_code == 303, sent.text[:3000]
    location = sent.headers["location"]
    assert location.startswith("/portal/submissions/")
    waiting = portal.get(location)
    assert 'data-decision="pending"' in waiting.text and "čeka se" in waiting.text
    pipeline.drain()
    decided = portal.get(location + "?lang=en")
    assert 'data-decision="accepted"' in decided.text and "accepted by the exchange" in decided.text
    assert f'href="/portal/cases/{world.case_x}"' in decided.text
    listed = portal.get("/portal/events")
    assert re.search(r'class="submission" data-event="[^"]+" data-decision="accepted"', listed.text)
    # From the case page, the forms come with the case filled in.
    case_page = portal.get(f"/portal/cases/{world.case_x}")
    assert f'href="/portal/events?case={world.case_x}"' in case_page.text
    for_case = portal.get(f"/portal/events?case={world.case_x}")
    assert f'href="/portal/events/RiskAssessed?case={world.case_x}"' in for_case.text

    # The same event an API caller's would be: the institution's, in the person's staff role.
    events = decoded(platform, read_topic(platform, CASE_EVENTS, settle=0.2))
    [risk] = [e for e in events if e.event_type == "RiskAssessed"]
    header = risk.record["header"]
    assert header["source_institution"] == OWNER and header["actor_role"] == "CASE_MANAGER"
    assert location.endswith(str(header["event_id"]))
    assert risk.record["level"] == "HIGH" and risk.record["factors"]["threats_to_kill"] is True
    assert risk.record["factors"]["weapon_possession"] is False
    # Another institution cannot read what the centre sent.
    portal.cookies.clear()
    sign_in(portal, "ana")
    assert portal.get(location).status_code == 404


def test_an_event_the_exchange_rejects_shows_the_rejections_code_and_reason(
    portal: TestClient, world: World, pipeline: Pipeline
) -> None:
    sign_in(portal, "jelena")  # the centre in Lazarevac takes no part in Kragujevac's case
    sent = fill(portal, "RiskAssessed", case=world.case_y, **assessment())
    assert sent.status_code == 303
    pipeline.drain()
    decided = portal.get(sent.headers["location"] + "?lang=en")
    assert 'data-decision="rejected"' in decided.text
    found = re.search(r'rejected by the exchange: <code>(\w+)</code> — <span class="reason">'
                      r"([^<]+)</span>", decided.text)  # fmt: skip
    assert found, decided.text
    assert found.group(1) == "unknown_case" and "takes part in" in found.group(2)
    # A corrected event is a new one (a new event id): the rejected id is decided for good.
    again = re.search(r'<a class="again" href="([^"]+)"', decided.text)
    assert again and again.group(1) == f"/portal/events/RiskAssessed?case={world.case_y}"
    fresh = form_values(portal.get(again.group(1)))
    assert fresh["header.event_id"] != [sent.headers["location"].rsplit("/", 1)[1]]


def test_a_wrong_field_comes_back_marked_with_everything_typed_kept(
    portal: TestClient, world: World, platform: Platform, pipeline: Pipeline
) -> None:
    sign_in(portal, "jelena")
    hostile = MARKUP[0]
    sent = fill(
        portal, "RiskAssessed", header__case_id="not-a-case", header__consent_ref=hostile,
        victim_subject_ids=f"{world.subject_x}\nnot-an-id", **assessment(level=""),
    )  # fmt: skip
    assert sent.status_code == 422
    assert 'aria-invalid="true"' in sent.text
    marked = set(re.findall(r'<p class="error" id="f-([\w-]+)-error-1">', sent.text))
    assert {"header-case_id", "level", "victim_subject_ids"} <= marked
    kept = form_values(sent)
    assert kept["header.case_id"] == ["not-a-case"] and kept["header.consent_ref"] == [hostile]
    assert kept["victim_subject_ids"] == [f"{world.subject_x}\nnot-an-id"]
    assert kept["factors.threats_to_kill"] == ["on"] and kept["stage"] == ["CSR_OPINION"]
    assert f'value="{escape(hostile)}"' in sent.text and "<script>alert" not in sent.text
    # Corrected and sent again, the same form is one event.
    kept.update({"header.case_id": [str(world.case_x)], "level": ["MEDIUM"]})
    kept["victim_subject_ids"] = [str(world.subject_x)]
    again = portal.post("/portal/events/RiskAssessed", data=kept, follow_redirects=False)
    assert again.status_code == 303
    pipeline.drain()
    assert 'data-decision="accepted"' in portal.get(again.headers["location"]).text


def test_a_form_without_its_csrf_token_or_of_an_event_not_offered_is_refused(
    portal: TestClient, world: World
) -> None:
    sign_in(portal, "jelena")
    values = form_values(portal.get("/portal/events/RiskAssessed"))
    forged = {**values, "csrf": ["forged"]}
    assert portal.post("/portal/events/RiskAssessed", data=forged).status_code == 403
    del values["csrf"]
    assert portal.post("/portal/events/RiskAssessed", data=values).status_code == 403
    portal.cookies.clear()
    assert portal.post("/portal/events/RiskAssessed", data=forged).status_code == 401
    sign_in(portal, "ana")  # an NGO assesses no risk
    csrf = csrf_of(portal.get("/portal/events"))
    refused = portal.post("/portal/events/RiskAssessed", data={"csrf": csrf})
    assert refused.status_code == 404
    assert portal.post("/portal/events/AccessRecorded", data={"csrf": csrf}).status_code == 404
    # The API's body limit holds for a form as for any request.
    portal.cookies.clear()
    sign_in(portal, "jelena")
    values = form_values(portal.get("/portal/events/RiskAssessed"))
    huge = portal.post(
        "/portal/events/RiskAssessed", data={**values, "header.consent_ref": ["x" * 300_000]}
    )
    assert huge.status_code == 413 and huge.json()["code"] == "body_too_large"


# The hostile corpus of the portal's tests, as a person might paste it into a name or address.
CORPUS = (
    *MARKUP, *BIG_CHARS, *UNREGISTERED[:4], *(lookalike("Ana") for lookalike in LOOKALIKES),
)  # fmt: skip


def test_a_subject_registered_from_the_form_is_sealed_and_hostile_strings_stay_text(
    portal: TestClient, world: World, platform: Platform, pipeline: Pipeline
) -> None:
    sign_in(portal, "jelena")
    sent_names: dict[str, str] = {}  # family name (to find the person again) -> text typed
    for number, text in enumerate(CORPUS):
        family = f"Test {number}"
        sent = fill(
            portal, "SubjectRegistered", case=world.case_x, role="WITNESS",
            identity__given_name=text, identity__family_name=family,
            identity__address=text, identity__birth_date="1988-03-04",
        )  # fmt: skip
        assert sent.status_code == 303, (text, sent.text[:2000])
        sent_names[family] = text
    pipeline.drain()
    # The identity went to the vault only: the published events hold it sealed.
    events = decoded(platform, read_topic(platform, CASE_EVENTS, settle=0.2))
    registered = [
        e for e in events if e.event_type == "SubjectRegistered" and e.record["role"] == "WITNESS"
    ]
    assert len(registered) == len(CORPUS)
    raw = b"".join(r.value for r in read_topic(platform, CASE_EVENTS, settle=0.2))
    assert b"alert(1)" not in raw and b"1988-03-04" not in raw
    # Unsealed with a purpose, each is shown back as the text typed (less the spaces around).
    csrf = csrf_of(portal.get(f"/portal/cases/{world.case_x}"))
    for event in registered:
        shown = portal.post(
            f"/portal/subjects/{event.record['subject_id']}/identity",
            data={"csrf": csrf, "purpose": "CASE_HANDLING"},
        )
        assert shown.status_code == 200
        identity = re.search(r'<dl class="card-wide" id="identity">.*?</dl>', shown.text, re.S)
        assert identity and "1988-03-04" in identity.group(0)
        family = re.search(r"<dd>(Test \d+)</dd>", identity.group(0))
        assert family, identity.group(0)
        typed = sent_names.pop(family.group(1))
        assert f"<dd>{escape(typed.strip())}</dd>" in identity.group(0)
        assert "<script>alert" not in shown.text and "<img src=x" not in shown.text
        assert "<b>bold</b>" not in shown.text
    assert sent_names == {}  # every one came back


def test_the_apis_write_rate_holds_for_each_accounts_forms(
    portal: TestClient, world: World
) -> None:
    portal.app.state.context.writes = WriteRate(rate=0.01, burst=1)  # type: ignore[attr-defined]
    sign_in(portal, "jelena")
    assert fill(portal, "RiskAssessed", case=world.case_x, **assessment()).status_code == 303
    again = fill(portal, "RiskAssessed", case=world.case_x, **assessment())
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
    assert "Previše odgovora" in again.text and form_values(again)["level"] == ["HIGH"]
