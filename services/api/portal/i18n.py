"""The portal's words in Serbian (Latin script) and English.

The language is the ``lang`` cookie if set (the links at the foot of each page set it), else the
first of the two the browser's Accept-Language names, else Serbian: the people who use the portal
are social workers, police officers and lawyers in Serbia.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

LANGUAGES: Final = ("sr", "en")
DEFAULT: Final = "sr"

WORDS: Final[dict[str, dict[str, str]]] = {
    "title": {"sr": "Povezimo — portal ustanova", "en": "Povezimo — institutions' portal"},
    "sign_in": {"sr": "Prijava", "en": "Sign in"},
    "username": {"sr": "Korisničko ime", "en": "Username"},
    "password": {"sr": "Lozinka", "en": "Password"},
    "sign_out": {"sr": "Odjava", "en": "Sign out"},
    "wrong_password": {
        "sr": "Pogrešno korisničko ime ili lozinka.",
        "en": "Wrong username or password.",
    },
    "locked": {
        "sr": "Previše neuspelih prijava. Pokušajte ponovo posle {until} (UTC).",
        "en": "Too many failed sign-ins. Try again after {until} (UTC).",
    },
    "address_locked": {
        "sr": "Previše neuspelih prijava sa ove adrese. Pokušajte ponovo za {minutes} min.",
        "en": "Too many failed sign-ins from this address. Try again in {minutes} min.",
    },
    "expired": {
        "sr": "Sesija je istekla ili ste se odjavili. Prijavite se ponovo.",
        "en": "Your session ended or you signed out. Please sign in again.",
    },
    "forbidden": {
        "sr": "Obrazac je istekao ili nije poslat sa ovog portala. Otvorite stranicu ponovo.",
        "en": "The form expired or was not sent from this portal. Open the page again.",
    },
    "unavailable": {
        "sr": "Sistem je na trenutak nedostupan; ništa nije primljeno. Pokušajte ponovo.",
        "en": "The system is unavailable for a moment; nothing was taken. Please try again.",
    },
    "too_fast": {
        "sr": "Previše odgovora u kratkom roku. Pokušajte ponovo za {wait} s.",
        "en": "Too many answers in a short time. Try again in {wait} s.",
    },
    "not_found": {"sr": "Nije pronađeno.", "en": "Not found."},
    "refused": {"sr": "Odgovor nije moguć", "en": "This answer is not possible"},
    "inbox": {"sr": "Prijemno sanduče", "en": "Inbox"},
    "signed_in_as": {"sr": "Prijavljeni ste kao", "en": "Signed in as"},
    "received": {"sr": "Primljena upućivanja", "en": "Referrals received"},
    "sent": {"sr": "Poslata upućivanja", "en": "Referrals sent"},
    "updates": {"sr": "Najnovije poruke", "en": "Latest messages"},
    "none": {"sr": "Nema ničega.", "en": "Nothing here."},
    "older": {"sr": "Starije", "en": "Older"},
    "newer": {"sr": "Novije", "en": "Newer"},
    "newest": {"sr": "Najnovije", "en": "Newest"},
    "previous_page": {"sr": "Prethodna strana", "en": "Previous page"},
    "next_page": {"sr": "Sledeća strana", "en": "Next page"},
    "shown_of": {"sr": "{first}–{last} od {total}", "en": "{first}–{last} of {total}"},
    "live": {
        "sr": "Stranica se sama osvežava kada stigne nešto novo.",
        "en": "This page updates itself when something new arrives.",
    },
    "live_updated": {"sr": "Stiglo je nešto novo.", "en": "Something new arrived."},
    "case": {"sr": "Slučaj", "en": "Case"},
    "from": {"sr": "Od", "en": "From"},
    "to": {"sr": "Za", "en": "To"},
    "service": {"sr": "Usluga", "en": "Service"},
    "urgency": {"sr": "Hitnost", "en": "Urgency"},
    "due": {"sr": "Rok (UTC)", "en": "Due (UTC)"},
    "status": {"sr": "Status", "en": "Status"},
    "answer": {"sr": "Odgovor", "en": "Answer"},
    "accept": {"sr": "Prihvati", "en": "Accept"},
    "decline": {"sr": "Odbij", "en": "Decline"},
    "reason": {"sr": "Razlog", "en": "Reason"},
    "event": {"sr": "Događaj", "en": "Event"},
    "why": {"sr": "Zašto", "en": "Why"},
    "when": {"sr": "Kada (UTC)", "en": "When (UTC)"},
    "answer_sent": {
        "sr": "Odgovor je poslat razmeni. Status se menja kada ga razmena prihvati.",
        "en": "Your answer went to the exchange. The status changes once the exchange takes it.",
    },
    "answer_pending": {
        "sr": "Odgovor je poslat; čeka se odluka razmene.",
        "en": "An answer was sent; waiting for the exchange to decide.",
    },
    "answers": {"sr": "Odgovori poslati sa portala", "en": "Answers sent from the portal"},
    "who": {"sr": "Ko", "en": "Who"},
    "exchange": {"sr": "Odluka razmene", "en": "The exchange's decision"},
    "answer.ReferralAccepted": {"sr": "prihvaćeno", "en": "accepted"},
    "answer.ReferralDeclined": {"sr": "odbijeno", "en": "declined"},
    "decision.pending": {"sr": "čeka se", "en": "pending"},
    "decision.accepted": {"sr": "razmena je prihvatila", "en": "accepted by the exchange"},
    "decision.rejected": {"sr": "razmena je odbacila", "en": "rejected by the exchange"},
    "complete": {"sr": "Završi", "en": "Complete"},
    "revoke": {"sr": "Povuci", "en": "Withdraw"},
    "withdraw": {"sr": "Povlačenje", "en": "Withdrawal"},
    "outcome": {"sr": "Ishod", "en": "Outcome"},
    "reason_code": {"sr": "Razlog", "en": "Reason"},
    "answer.ReferralCompleted": {"sr": "završeno", "en": "completed"},
    "answer.ReferralRevoked": {"sr": "povučeno", "en": "withdrawn"},
    "outcome.GOAL_ACHIEVED": {"sr": "Cilj postignut", "en": "Goal achieved"},
    "outcome.PARTIALLY_ACHIEVED": {"sr": "Delimično postignut", "en": "Partially achieved"},
    "outcome.NOT_ACHIEVED": {"sr": "Nije postignut", "en": "Not achieved"},
    "outcome.SUBJECT_DECLINED": {"sr": "Osoba je odustala", "en": "The person declined"},
    "outcome.SUBJECT_UNREACHABLE": {"sr": "Osoba nedostupna", "en": "The person unreachable"},
    "outcome.NO_LONGER_NEEDED": {"sr": "Više nije potrebno", "en": "No longer needed"},
    "outcome.TRANSFERRED": {"sr": "Preneto drugoj ustanovi", "en": "Transferred"},
    "outcome.OTHER": {"sr": "Drugo", "en": "Other"},
    "revoke.NO_LONGER_NEEDED": {"sr": "Više nije potrebno", "en": "No longer needed"},
    "revoke.SENT_IN_ERROR": {"sr": "Poslato greškom", "en": "Sent in error"},
    "revoke.CONSENT_WITHDRAWN": {"sr": "Pristanak povučen", "en": "Consent withdrawn"},
    "revoke.REDIRECTED": {"sr": "Upućeno drugoj ustanovi", "en": "Redirected"},
    "revoke.SUBJECT_MOVED": {"sr": "Osoba se preselila", "en": "The person moved"},
    "revoke.CASE_CLOSED": {"sr": "Slučaj zatvoren", "en": "Case closed"},
    "revoke.DUPLICATE": {"sr": "Dvostruko upućivanje", "en": "Duplicate"},
    "revoke.OTHER": {"sr": "Drugo", "en": "Other"},
    "case_status.open": {"sr": "otvoren", "en": "open"},
    "case_status.closed": {"sr": "zatvoren", "en": "closed"},
    "opened_by": {"sr": "Otvorio", "en": "Opened by"},
    "opened_at": {"sr": "Otvoren (UTC)", "en": "Opened (UTC)"},
    "municipality": {"sr": "Opština", "en": "Municipality"},
    "risk": {"sr": "Procena rizika", "en": "Risk level"},
    "violence": {"sr": "Vrste nasilja", "en": "Kinds of violence"},
    "children": {"sr": "Prisutna deca", "en": "Children present"},
    "yes": {"sr": "da", "en": "yes"},
    "no": {"sr": "ne", "en": "no"},
    "participants": {"sr": "Učesnici", "en": "Participants"},
    "subjects": {"sr": "Osobe (bez identiteta)", "en": "People (no identity shown)"},
    "role": {"sr": "Uloga", "en": "Role"},
    "sex": {"sr": "Pol", "en": "Sex"},
    "birth_year": {"sr": "Godina rođenja", "en": "Birth year"},
    "referrals": {"sr": "Upućivanja", "en": "Referrals"},
    "deadlines": {"sr": "Rokovi", "en": "Deadlines"},
    "what": {"sr": "Šta", "en": "What"},
    "done_at": {"sr": "Urađeno (UTC)", "en": "Done (UTC)"},
    "measure_expires": {"sr": "mera ističe", "en": "measure expires"},
    "extension_proposal": {"sr": "predlog produženja", "en": "extension proposal"},
    "extension_decision": {"sr": "odluka o produženju", "en": "extension decision"},
    "conference": {"sr": "Konferencija slučaja", "en": "Case conference"},
    "plan_measure": {"sr": "Mera plana", "en": "Plan measure"},
    "timeline": {"sr": "Tok slučaja", "en": "Timeline"},
    "open_case": {"sr": "Otvori slučaj", "en": "Open the case"},
    # The case list, the event forms and unsealing an identity.
    "sections": {"sr": "Delovi portala", "en": "Sections"},
    "cases": {"sr": "Slučajevi", "en": "Cases"},
    "all": {"sr": "svi", "en": "all"},
    "bad_page": {
        "sr": "Ta stranica liste ne postoji (broj stranice ili status).",
        "en": "No such page of the list (page number or status).",
    },
    "pages": {"sr": "Stranice", "en": "Pages"},
    "page": {"sr": "Stranica", "en": "Page"},
    "new_event": {"sr": "Novi događaj", "en": "New event"},
    "event_types": {"sr": "Vrste događaja", "en": "Event types"},
    "new_event_for_case": {"sr": "Novi događaj u ovom slučaju", "en": "New event in this case"},
    "event_types_intro": {
        "sr": "Događaji koje {institution} sme da pošalje razmeni:",
        "en": "The events {institution} may send to the exchange:",
    },
    "events_sent": {"sr": "Događaji poslati sa portala", "en": "Events sent from the portal"},
    "required": {"sr": "obavezno", "en": "required"},
    "choose": {"sr": "— izaberite —", "en": "— choose —"},
    "one_a_line": {"sr": "Jedna vrednost po redu.", "en": "One value a line."},
    "default_is": {"sr": "Ako ostane prazno: {value}.", "en": "If left blank: {value}."},
    "blank_items_left_out": {
        "sr": "Prazni delovi se izostavljaju.",
        "en": "Blank parts are left out.",
    },
    "times_in_utc": {"sr": "Vreme se unosi u UTC.", "en": "Times are in UTC."},
    "acting_as": {
        "sr": "Šaljete kao {institution}, u ulozi {role}.",
        "en": "You send as {institution}, in the role {role}.",
    },
    "send_to_exchange": {"sr": "Pošalji razmeni", "en": "Send to the exchange"},
    "not_taken": {
        "sr": "Događaj nije poslat: ispravite označena polja. Ništa od unetog nije izgubljeno.",
        "en": "The event was not sent: correct the fields marked. Nothing you typed is lost.",
    },
    "submission": {"sr": "Poslati događaj", "en": "Event sent"},
    "decision_waits": {
        "sr": "Razmena još nije odlučila.",
        "en": "The exchange has not decided yet.",
    },
    "look_again": {"sr": "Pogledajte ponovo", "en": "Look again"},
    "send_corrected": {
        "sr": "Novi obrazac za ispravljen događaj",
        "en": "A new form for a corrected event",
    },
    "identity": {"sr": "Identitet", "en": "Identity"},
    "field.header": {"sr": "O događaju", "en": "About the event"},
    "field.header.case_id": {"sr": "Slučaj (id)", "en": "Case (id)"},
    "field.header.occurred_at": {
        "sr": "Kada se dogodilo (UTC; prazno: sada)",
        "en": "When it happened (UTC; blank: now)",
    },
    "field.header.legal_basis": {"sr": "Pravni osnov", "en": "Legal basis"},
    "field.header.causation_id": {
        "sr": "Događaj koji je ovo izazvao (id)",
        "en": "The event that caused this (id)",
    },
    "field.header.consent_ref": {"sr": "Oznaka pristanka", "en": "Consent reference"},
    "field.identity": {
        "sr": "Identitet (platforma ga šifruje)",
        "en": "Identity (sealed by the platform)",
    },
    "field.identity.given_name": {"sr": "Ime", "en": "Given name"},
    "field.identity.family_name": {"sr": "Prezime", "en": "Family name"},
    "field.identity.jmbg": {"sr": "JMBG", "en": "JMBG"},
    "field.identity.birth_date": {"sr": "Datum rođenja", "en": "Birth date"},
    "field.identity.address": {"sr": "Adresa", "en": "Address"},
    "field.identity.phone": {"sr": "Telefon", "en": "Phone"},
    "hint_in_english": {"sr": "Opis iz šeme (na engleskom)", "en": "The schema's description"},
    # Validation problems by pydantic's error type: in Serbian, the words the API gives in
    # English (``Problem.message``) for the common ones; any other keeps the API's words.
    "problem.missing": {"sr": "Ovo polje je obavezno.", "en": "Field required."},
    "problem.enum": {"sr": "Izaberite jednu od ponuđenih vrednosti.", "en": "Not a valid choice."},
    "problem.literal_error": {
        "sr": "Izaberite jednu od ponuđenih vrednosti.",
        "en": "Not a valid choice.",
    },
    "problem.date_parsing": {"sr": "Nije ispravan datum.", "en": "Not a valid date."},
    "problem.date_from_datetime_parsing": {
        "sr": "Nije ispravan datum.",
        "en": "Not a valid date.",
    },
    "problem.datetime_parsing": {
        "sr": "Nije ispravan datum i vreme.",
        "en": "Not a valid date and time.",
    },
    "problem.datetime_from_date_parsing": {
        "sr": "Nije ispravan datum i vreme.",
        "en": "Not a valid date and time.",
    },
    "problem.timezone_aware": {
        "sr": "Vreme mora imati vremensku zonu (UTC).",
        "en": "The time needs a time zone (UTC).",
    },
    "problem.string_too_long": {"sr": "Tekst je predugačak.", "en": "The text is too long."},
    "problem.too_long": {"sr": "Previše stavki.", "en": "Too many items."},
    "problem.string_too_short": {"sr": "Tekst je prekratak.", "en": "The text is too short."},
    "problem.too_short": {"sr": "Premalo stavki.", "en": "Too few items."},
    "problem.uuid_parsing": {
        "sr": "Nije ispravna oznaka (UUID).",
        "en": "Not a valid id (UUID).",
    },
    "problem.int_parsing": {"sr": "Unesite ceo broj.", "en": "Enter a whole number."},
    "problem.greater_than_equal": {
        "sr": "Vrednost je manja od dozvoljene.",
        "en": "The value is too small.",
    },
    "problem.greater_than": {
        "sr": "Vrednost je manja od dozvoljene.",
        "en": "The value is too small.",
    },
    "problem.less_than_equal": {
        "sr": "Vrednost je veća od dozvoljene.",
        "en": "The value is too large.",
    },
    "problem.bool_parsing": {"sr": "Odgovorite sa da ili ne.", "en": "Answer yes or no."},
    "problem.string_pattern_mismatch": {
        "sr": "Vrednost nije u ispravnom obliku.",
        "en": "The value is not in the right form.",
    },
    "purpose": {"sr": "Svrha uvida", "en": "Purpose of the access"},
    "unseal": {"sr": "Prikaži identitet", "en": "Show the identity"},
    "purpose_required": {
        "sr": "Izaberite svrhu uvida: identitet se prikazuje samo uz navedenu svrhu.",
        "en": "Choose a purpose: the identity is shown only for a stated purpose.",
    },
    "identity_recorded": {
        "sr": "Uvid je zabeležen (svrha: {purpose}), sa vašim nalogom i ulogom.",
        "en": "This access is recorded (purpose: {purpose}), with your account and role.",
    },
    "identity.erased": {
        "sr": "Podaci ove osobe su izbrisani.",
        "en": "This person's data were erased.",
    },
    "identity.not_archived": {
        "sr": "Upis još nije arhiviran; pokušajte ponovo za koji trenutak.",
        "en": "The registration is not archived yet; try again in a moment.",
    },
    "identity.unknown_institution": {
        "sr": "Ustanova nije aktivna u registru.",
        "en": "The institution is not active in the registry.",
    },
    "back_to_case": {"sr": "Nazad na slučaj", "en": "Back to the case"},
    "given_name": {"sr": "Ime", "en": "Given name"},
    "family_name": {"sr": "Prezime", "en": "Family name"},
    "birth_date": {"sr": "Datum rođenja", "en": "Birth date"},
    "address": {"sr": "Adresa", "en": "Address"},
    "phone": {"sr": "Telefon", "en": "Phone"},
    "purpose.CASE_HANDLING": {"sr": "Rad na slučaju", "en": "Case handling"},
    "purpose.RISK_ASSESSMENT": {"sr": "Procena rizika", "en": "Risk assessment"},
    "purpose.URGENT_MEASURE_PROCEDURE": {
        "sr": "Postupak hitne mere",
        "en": "Urgent measure procedure",
    },
    "purpose.REFERRAL_PROCESSING": {"sr": "Postupanje po upućivanju", "en": "Referral"},
    "purpose.CONFERENCE_PREPARATION": {
        "sr": "Priprema konferencije slučaja",
        "en": "Case conference preparation",
    },
    "purpose.SERVICE_PROVISION": {"sr": "Pružanje usluge", "en": "Service provision"},
    "purpose.COURT_PROCEEDINGS": {"sr": "Sudski postupak", "en": "Court proceedings"},
    "purpose.EMERGENCY_RESPONSE": {"sr": "Hitna zaštita", "en": "Emergency response"},
    "purpose.DATA_SUBJECT_ACCESS_REQUEST": {
        "sr": "Zahtev osobe za uvid",
        "en": "The person's own access request",
    },
    "purpose.AUDIT": {"sr": "Revizija", "en": "Audit"},
    "purpose.SUPERVISION": {"sr": "Nadzor", "en": "Supervision"},
    "purpose.OTHER": {"sr": "Drugo", "en": "Other"},
    "back": {"sr": "Nazad na sanduče", "en": "Back to the inbox"},
    "language": {"sr": "Jezik", "en": "Language"},
    "status.sent": {"sr": "čeka odgovor", "en": "awaiting answer"},
    "status.accepted": {"sr": "prihvaćeno", "en": "accepted"},
    "status.declined": {"sr": "odbijeno", "en": "declined"},
    "status.completed": {"sr": "završeno", "en": "completed"},
    "status.revoked": {"sr": "povučeno", "en": "revoked"},
    "status.expired": {"sr": "isteklo", "en": "expired"},
    "decline.NOT_COMPETENT": {"sr": "Nismo nadležni", "en": "Not competent"},
    "decline.OUTSIDE_TERRITORY": {"sr": "Van naše teritorije", "en": "Outside our territory"},
    "decline.NO_CAPACITY": {"sr": "Nemamo kapaciteta", "en": "No capacity"},
    "decline.SERVICE_NOT_OFFERED": {"sr": "Ne pružamo tu uslugu", "en": "Service not offered"},
    "decline.ELIGIBILITY_NOT_MET": {"sr": "Uslovi nisu ispunjeni", "en": "Eligibility not met"},
    "decline.NO_CONSENT": {"sr": "Nema pristanka", "en": "No consent"},
    "decline.SUBJECT_DECLINED_SERVICE": {
        "sr": "Osoba je odbila uslugu",
        "en": "The person declined the service",
    },
    "decline.INSUFFICIENT_INFORMATION": {
        "sr": "Nedovoljno informacija",
        "en": "Insufficient information",
    },
    "decline.DUPLICATE": {"sr": "Dvostruko upućivanje", "en": "Duplicate"},
    "decline.CONFLICT_OF_INTEREST": {"sr": "Sukob interesa", "en": "Conflict of interest"},
    "decline.OTHER": {"sr": "Drugo", "en": "Other"},
}


def language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
        if primary in {"hr", "bs", "sh", "cnr"}:  # neighbours read Serbian Latin
            return "sr"
    return DEFAULT


def problem_text(code: str, message: str, lang: str) -> str:
    """A validation problem in ``lang``: in Serbian, the portal's words for the common kinds;
    in English (or a kind without words here), the API's own message, which says more."""
    found = WORDS.get(f"problem.{code}")
    return found["sr"] if lang == "sr" and found else message


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)``: the word in ``lang``; the key itself if there is none (a code
    without a translation still shows, never an empty cell)."""

    def t(key: str, **values: str) -> str:
        found = WORDS.get(key)
        text = found[lang] if found else key
        return text.format(**values) if values else text

    return t
