"""Every field and every enum symbol a portal form shows has a Serbian and an English label, and
every field a Serbian hint: a schema field or symbol added without its line in
``services/api/portal/labels.py`` (or ``hints.py``) fails here, naming what is missing."""

from __future__ import annotations

import re

from schemas.institutions import PUBLISHABLE
from services.api.portal.event_forms import Field, Group, event_form, submittable
from services.api.portal.hints import HINTS, field_hint
from services.api.portal.labels import (
    EVENTS,
    FIELDS,
    SUMMARIES,
    SYMBOLS,
    choice_label,
    event_label,
    event_summary,
    field_label,
)

RAW = re.compile(r"^[A-Za-z0-9]+(_[A-Za-z0-9]+)+$|^[A-Z0-9]{2,}$")  # an identifier, not words


def reachable() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The field names and enum symbols of every form any institution kind may submit, each
    with where it is offered (event type and field path)."""
    fields: dict[str, set[str]] = {}
    symbols: dict[str, set[str]] = {}

    def walk(event_type: str, children: tuple[Field | Group, ...]) -> None:
        for child in children:
            fields.setdefault(child.key, set()).add(f"{event_type}:{child.name}")
            if isinstance(child, Group):
                walk(event_type, child.children)
            else:
                for symbol in child.choices:
                    symbols.setdefault(symbol, set()).add(f"{event_type}:{child.name}")

    for event_type in sorted({e for kind in PUBLISHABLE for e in submittable(kind)}):
        walk(event_type, event_form(event_type).children)
    return fields, symbols


def unlabelled(table: dict[str, tuple[str, str]], reached: dict[str, set[str]]) -> list[str]:
    missing = []
    for name in sorted(reached):
        serbian, english = table.get(name, ("", ""))
        if not serbian.strip() or not english.strip():
            missing.append(f"{name} (in {sorted(reached[name])[0]})")
    return missing


def test_every_field_and_symbol_of_every_form_has_both_labels() -> None:
    fields, symbols = reachable()
    assert len(fields) > 150 and len(symbols) > 250  # the walk did reach the forms
    assert unlabelled(FIELDS, fields) == []
    assert unlabelled(SYMBOLS, symbols) == []


def test_the_table_holds_nothing_no_form_reaches_and_reads_sorted() -> None:
    fields, symbols = reachable()
    assert sorted(set(FIELDS) - set(fields)) == []
    assert sorted(set(SYMBOLS) - set(symbols)) == []
    assert list(FIELDS) == sorted(FIELDS) and list(SYMBOLS) == sorted(SYMBOLS)


def test_a_label_is_words_not_the_schemas_identifier() -> None:
    for name, (serbian, english) in {**FIELDS, **SYMBOLS}.items():
        for label in (serbian, english):
            assert not RAW.match(label) or label in {"JMBG"}, (name, label)
            assert label == label.strip() and label[0] == label[0].upper(), (name, label)
            assert "_" not in label, (name, label)
        assert english != name or name == "JMBG", (name, english)


def test_the_person_reads_their_language_and_an_unknown_name_still_shows() -> None:
    assert field_label("level", "sr") == "Nivo rizika"
    assert field_label("level", "en") == "Risk level"
    assert choice_label("POLICE_CALL", "sr") == "Poziv policiji"
    assert choice_label("IMMINENT_DANGER", "en") == "Imminent danger"
    removal = choice_label("TEMPORARY_REMOVAL_FROM_DWELLING", "sr")
    assert removal.endswith("udaljenje učinioca iz stana")
    assert field_label("not_in_the_table", "sr") == "not in the table"
    assert choice_label("NOT_IN_THE_TABLE", "en") == "NOT_IN_THE_TABLE"


def test_every_event_type_a_form_is_offered_for_has_both_names() -> None:
    offered = sorted({e for kind in PUBLISHABLE for e in submittable(kind)})
    assert [e for e in offered if not all(EVENTS.get(e, ("", "")))] == []
    assert sorted(set(EVENTS) - set(offered)) == [] and list(EVENTS) == sorted(EVENTS)
    assert event_label("RiskAssessed", "sr") == "Procena rizika"
    assert event_label("RiskAssessed", "en") == "Risk assessed"
    assert event_label("NoSuchEvent", "sr") == "NoSuchEvent"


def test_every_field_of_every_form_has_a_serbian_hint_and_no_hint_is_for_nothing() -> None:
    fields, _ = reachable()
    missing = [f"{n} (in {sorted(fields[n])[0]})" for n in sorted(fields) if not HINTS.get(n)]
    assert missing == []
    assert [name for name, hint in HINTS.items() if hint != hint.strip()] == []
    assert sorted(set(HINTS) - set(fields)) == [] and list(HINTS) == sorted(HINTS)


def test_a_serbian_hint_is_written_not_the_schemas_english_doc_copied() -> None:
    english: dict[str, set[str]] = {}

    def walk(children: tuple[Field | Group, ...]) -> None:
        for child in children:
            english.setdefault(child.key, set()).add(child.description)
            if isinstance(child, Group):
                walk(child.children)

    for event_type in sorted({e for kind in PUBLISHABLE for e in submittable(kind)}):
        walk(event_form(event_type).children)
    assert [name for name, hint in HINTS.items() if hint in english.get(name, set())] == []


def test_the_hint_reads_serbian_on_a_serbian_page_and_gives_way_on_an_english_one() -> None:
    assert field_hint("stage", "sr") == "Koji je ovo korak postupka."
    assert field_hint("threats_to_kill", "sr").startswith("Mogući učinilac je pretio ubistvom")
    assert field_hint("stage", "en") == ""  # the schema's own description is shown instead
    assert field_hint("not_in_the_table", "sr") == ""


def test_every_event_type_says_in_both_languages_what_happened_in_whole_sentences() -> None:
    offered = sorted({e for kind in PUBLISHABLE for e in submittable(kind)})
    assert sorted(SUMMARIES) == offered and list(SUMMARIES) == sorted(SUMMARIES)
    for event_type, (serbian, english) in SUMMARIES.items():
        for sentence in (serbian, english):
            # The schema's first sentence was cut at "e.g." and "Art.": not again.
            assert sentence.endswith((".", ")", "…).")), (event_type, sentence)
            assert not sentence.endswith(("e.g.", "Art.", "npr.")), (event_type, sentence)
    assert event_summary("CaseReopened", "en").startswith("A closed case was reopened")
    assert event_summary("CaseReopened", "sr").startswith("Zatvoreni slučaj je ponovo otvoren")
