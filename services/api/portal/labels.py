"""What the event forms show for each field and each enum symbol, in Serbian (Latin script) and
English: ``(sr, en)`` by the schema's name.

A field is found by its own name, the last part of its dotted path (``factors.threats_to_kill`` is
``threats_to_kill``), so a field of the same name reads the same in every form; a symbol by
itself (``OTHER`` is "Drugo" wherever it is offered). What a form *sends* stays the schema's name
and symbol: only what a person reads changes. The Serbian words follow the Law on Prevention of
Domestic Violence and social-work practice (hitna mera, procena rizika, grupa za koordinaciju i
saradnju, centar za socijalni rad). A schema field or symbol added without a line here fails
``tests/unit/test_portal_labels.py``.
"""

from __future__ import annotations

from typing import Final

Label = tuple[str, str]  # (Serbian, English)


def field_label(key: str, lang: str) -> str:
    """What a field named ``key`` is called in ``lang``; a name missing from the table shows
    as itself, never blank (the labels test fails before that ships)."""
    return _pick(FIELDS.get(key), lang) or key.replace("_", " ")


def choice_label(symbol: str, lang: str) -> str:
    """What an enum ``symbol`` is called in ``lang`` (the form still sends the symbol)."""
    return _pick(SYMBOLS.get(symbol), lang) or symbol


def _pick(label: Label | None, lang: str) -> str:
    if label is None:
        return ""
    serbian, english = label
    return serbian if lang == "sr" else english


def event_label(event_type: str, lang: str) -> str:
    """What an event type is called in ``lang`` (the form still posts to its schema name)."""
    return _pick(EVENTS.get(event_type), lang) or event_type


EVENTS: Final[dict[str, Label]] = {
    "AccessRecorded": ("Uvid u podatke zabeležen", "Access recorded"),
    "ActivityHeld": ("Održana aktivnost programa", "Programme activity held"),
    "CaseClosed": ("Slučaj zatvoren", "Case closed"),
    "CaseConferenceHeld": ("Održana konferencija slučaja", "Case conference held"),
    "CaseConferenceScheduled": ("Zakazana konferencija slučaja", "Case conference scheduled"),
    "CaseOpened": ("Otvoren slučaj", "Case opened"),
    "CaseReopened": ("Slučaj ponovo otvoren", "Case reopened"),
    "ConsentGiven": ("Data saglasnost", "Consent given"),
    "ConsentWithdrawn": ("Povučena saglasnost", "Consent withdrawn"),
    "CooperationAgreementAmended": (
        "Izmenjen sporazum o saradnji",
        "Cooperation agreement amended",
    ),
    "CooperationAgreementEnded": ("Prestao sporazum o saradnji", "Cooperation agreement ended"),
    "CooperationAgreementSigned": ("Potpisan sporazum o saradnji", "Cooperation agreement signed"),
    "ExtensionDecided": (
        "Odluka o produženju hitne mere",
        "Extension of the urgent measure decided",
    ),
    "ExtensionProposed": (
        "Predlog za produženje hitne mere",
        "Extension of the urgent measure proposed",
    ),
    "PlanMeasureCompleted": ("Izvršena mera iz plana zaštite", "Protection plan measure completed"),
    "ProtectionOrderIssued": (
        "Izrečena mera zaštite od nasilja u porodici",
        "Protection order issued",
    ),
    "ProtectionPlanAdopted": ("Usvojen individualni plan zaštite", "Protection plan adopted"),
    "ReferralAccepted": ("Uput prihvaćen", "Referral accepted"),
    "ReferralCompleted": ("Uput izvršen", "Referral completed"),
    "ReferralDeclined": ("Uput odbijen", "Referral declined"),
    "ReferralExpired": ("Uputu istekao rok", "Referral expired"),
    "ReferralRevoked": ("Uput povučen", "Referral withdrawn"),
    "ReferralSent": ("Upućivanje drugoj ustanovi", "Referral sent"),
    "ReportReceived": ("Primljena prijava", "Report received"),
    "RiskAssessed": ("Procena rizika", "Risk assessed"),
    "ServiceEstablished": ("Uspostavljena usluga", "Service established"),
    "ServiceProvided": ("Pružena usluga", "Service provided"),
    "SubjectErased": ("Lični podaci obrisani", "Personal data erased"),
    "SubjectRegistered": ("Upisana osoba u slučaju", "Person registered in the case"),
    "UrgentMeasureBreached": ("Prekršena hitna mera", "Urgent measure breached"),
    "UrgentMeasureImposed": ("Izrečena hitna mera", "Urgent measure imposed"),
    "UrgentMeasureServed": ("Uručena hitna mera", "Urgent measure served"),
}


def event_summary(event_type: str, lang: str) -> str:
    """What an event of ``event_type`` says happened, in ``lang``: one sentence, written from
    the schema's doc (whose first sentence, cut at "e.g." or "Art.", read as half a one)."""
    return _pick(SUMMARIES.get(event_type), lang)


SUMMARIES: Final[dict[str, Label]] = {
    "AccessRecorded": (
        "Platforma beleži svaki uvid u podatke slučaja koji identifikuju osobu.",
        "The platform records every read of a case's identifying data.",
    ),
    "ActivityHeld": (
        (
            "Održana je aktivnost programa koordinisanog delovanja: konsultativni sastanak, "
            "seminar, stručni skup, akcija kampanje, tribina ili predavanje, ili nastup u "
            "medijima."
        ),
        (
            "An activity of a programme of coordinated action took place: a consultative meeting,"
            " a seminar, a professional meeting, a campaign action, a tribune or lecture, or a "
            "media appearance."
        ),
    ),
    "CaseClosed": (
        "Ustanova koja vodi slučaj zatvorila je slučaj.",
        "The case owner closed the case.",
    ),
    "CaseConferenceHeld": (
        (
            "Održan je sastanak grupe za koordinaciju i saradnju (konferencija slučaja) o ovom "
            "slučaju."
        ),
        (
            "A meeting of the coordination and cooperation group (case conference) on this case "
            "took place."
        ),
    ),
    "CaseConferenceScheduled": (
        (
            "Zakazan je sastanak grupe za koordinaciju i saradnju (konferencija slučaja) o ovom "
            "slučaju."
        ),
        (
            "A meeting of the coordination and cooperation group (case conference) was scheduled "
            "for this case."
        ),
    ),
    "CaseOpened": (
        (
            "Prva ustanova koja je saznala za nasilje u porodici ili za neposrednu opasnost od "
            "njega otvorila je slučaj (svako ima dužnost da prijavi, ZSNP)."
        ),
        (
            "The first institution that learned of domestic violence or of immediate danger of it"
            " opened a case (everyone must report it, LPDV)."
        ),
    ),
    "CaseReopened": (
        "Zatvoreni slučaj je ponovo otvoren, na primer posle nove prijave.",
        "A closed case was reopened, for example after a new report.",
    ),
    "ConsentGiven": (
        (
            "Osoba (ili njen zakonski zastupnik) dala je saglasnost za obradu ili deljenje "
            "podataka o ličnosti preko onoga što zakon već dozvoljava."
        ),
        (
            "A person (or their legal representative) consented to processing or sharing of "
            "personal data beyond what a statute already allows."
        ),
    ),
    "ConsentWithdrawn": (
        (
            "Osoba (ili njen zakonski zastupnik) povukla je saglasnost, u celini ili za neke "
            "svrhe ili primaoce."
        ),
        (
            "A person (or their legal representative) withdrew a consent, wholly or for some "
            "purposes or recipients."
        ),
    ),
    "CooperationAgreementAmended": (
        (
            "Strane su izmenile sporazum o saradnji; upisuju se uslovi kakvi važe posle izmene "
            "(strane, obuhvat, trajanje)."
        ),
        (
            "The parties amended a cooperation agreement; the terms are given as they stand after"
            " the amendment (parties, scope, term)."
        ),
    ),
    "CooperationAgreementEnded": (
        "Sporazum o saradnji prestao je da važi, pre ili na kraju svog roka.",
        "A cooperation agreement stopped being in force, before or at the end of its term.",
    ),
    "CooperationAgreementSigned": (
        "Ustanove lokalne zajednice potpisale su sporazum o saradnji.",
        "Institutions of a local community signed a cooperation agreement.",
    ),
    "ExtensionDecided": (
        "Sud je odlučio o predlogu tužioca da se hitna mera produži.",
        "A court decided on the prosecutor's proposal to extend an urgent measure.",
    ),
    "ExtensionProposed": (
        (
            "Osnovni javni tužilac, pošto je ocenio procenu rizika policije i našao da postoji "
            "neposredna opasnost, predložio je osnovnom sudu da se hitna mera produži (ZSNP)."
        ),
        (
            "The basic public prosecutor, having evaluated the police risk assessment and found "
            "imminent danger, proposed to the basic court that an urgent measure be extended "
            "(LPDV)."
        ),
    ),
    "PlanMeasureCompleted": (
        (
            "Izvršilac mere iz individualnog plana zaštite javlja da je mera izvršena (ili "
            "okončana drukčije)."
        ),
        (
            "The executor of an individual-plan measure reports it done (or ended with another "
            "outcome)."
        ),
    ),
    "ProtectionOrderIssued": (
        (
            "Sud je izrekao jednu ili više mera zaštite od nasilja u porodici koje privremeno "
            "zabranjuju ili ograničavaju kontakt sa članom porodice (Porodični zakon)."
        ),
        (
            "A court ordered one or more measures of protection against domestic violence that "
            "temporarily ban or limit contact with a family member (Family Law)."
        ),
    ),
    "ProtectionPlanAdopted": (
        (
            "Grupa za koordinaciju i saradnju usvojila je (ili izmenila) individualni plan "
            "zaštite i podrške žrtvi."
        ),
        (
            "The coordination and cooperation group adopted (or revised) an individual protection"
            " and support plan for a victim."
        ),
    ),
    "ReferralAccepted": (
        (
            "Ustanova kojoj je uput upućen prihvatila ga je i postaje učesnik slučaja (dok "
            "učestvuje, vidi slučaj)."
        ),
        (
            "The recipient accepted a referral and becomes a participant of the case (it may see "
            "the case while it takes part)."
        ),
    ),
    "ReferralCompleted": (
        "Ustanova kojoj je uput upućen završila je upućenu uslugu.",
        "The recipient finished the referred service.",
    ),
    "ReferralDeclined": (
        "Ustanova kojoj je uput upućen odbila je uput.",
        "The recipient declined a referral.",
    ),
    "ReferralExpired": (
        (
            "Platforma javlja da je uputu istekao rok bez očekivanog odgovora, da bi pošiljalac "
            "preduzeo dalje korake."
        ),
        (
            "The platform reports that a referral passed its due time without the expected "
            "answer, so that the sender acts on it."
        ),
    ),
    "ReferralRevoked": (
        (
            "Pošiljalac je povukao uput pre nego što je izvršen; primalac prestaje sa radom i, "
            "ako inače ne učestvuje, gubi uvid u slučaj."
        ),
        (
            "The sender withdrew a referral before it was completed; the recipient stops work "
            "and, unless it otherwise takes part, loses access to the case."
        ),
    ),
    "ReferralSent": (
        (
            "Ustanova je uputila jednu ili više osoba drugoj ustanovi radi usluge, umesto "
            "upućivanja telefonom, faksom ili elektronskom poštom."
        ),
        (
            "An institution referred one or more people to another institution for a service, "
            "instead of by phone, fax or e-mail."
        ),
    ),
    "ReportReceived": (
        (
            "Primljena je nova prijava nasilja ili neposredne opasnosti u postojećem slučaju "
            "(novi incident, znaci koje je uočila škola ili zdravstvena služba, poziv SOS "
            "liniji)."
        ),
        (
            "A further report of violence or immediate danger was received on an existing case (a"
            " new incident, signs noticed by a school or health service, a call to the SOS line)."
        ),
    ),
    "RiskAssessed": (
        "Izvršena je procena rizika od neposredne opasnosti od nasilja u porodici.",
        "A risk assessment of immediate danger of domestic violence was made.",
    ),
    "ServiceEstablished": (
        (
            "U lokalnoj zajednici uspostavljena je trajna usluga ili praksa zaštite: evidencija "
            "slučajeva u centru za socijalni rad, mobilni tim, sporazum o besplatnoj pravnoj "
            "pomoći, redovne konferencije slučaja."
        ),
        (
            "A lasting protection service or practice was established in a local community: a "
            "case register in a centre for social work, a mobile team, an agreement for free "
            "legal aid, regular case conferences."
        ),
    ),
    "ServiceProvided": (
        (
            "Osobama u slučaju pružena je usluga zaštite ili podrške (noćenja u prihvatilištu, "
            "savetovanje, pravno zastupanje …)."
        ),
        (
            "A protection or support service was delivered to people in the case (shelter nights,"
            " counselling, legal representation …)."
        ),
    ),
    "SubjectErased": (
        (
            "Platforma je uništila ključ kojim su šifrovani podaci o ličnosti osobe: osoba "
            "nestaje iz svakog ponovnog čitanja dnevnika, a dnevnik ostaje ceo i proverljiv."
        ),
        (
            "The platform destroyed the key that sealed a person's identifiers: the person "
            "disappears from every replay, while the log stays whole and verifiable."
        ),
    ),
    "SubjectRegistered": (
        (
            "Upisana je osoba u slučaju (žrtva, mogući učinilac, dete, svedok) i dodeljen joj je "
            "neprozirni identifikator."
        ),
        (
            "A person involved in the case (victim, possible perpetrator, child, witness) was "
            "registered and given an opaque id."
        ),
    ),
    "UrgentMeasureBreached": (
        (
            "Policija je utvrdila ili saznala da je osoba prekršila hitnu meru koja joj je "
            "izrečena ili produžena."
        ),
        (
            "The police observed or were told that a person breached an urgent measure imposed or"
            " extended on them."
        ),
    ),
    "UrgentMeasureImposed": (
        (
            "Nadležni policijski službenik izrekao je hitnu meru naređenjem, posle procene rizika"
            " koja je pokazala neposrednu opasnost (ZSNP)."
        ),
        (
            "The competent police officer imposed an urgent measure by order after a risk "
            "assessment showing imminent danger (LPDV)."
        ),
    ),
    "UrgentMeasureServed": (
        "Naređenje o hitnoj meri uručeno je osobi na koju se odnosi.",
        "The order imposing an urgent measure was served on the person concerned.",
    ),
}

FIELDS: Final[dict[str, Label]] = {
    "acceptance_refused": (
        "Osoba je odbila da primi naređenje",
        "The person refused to accept the order",
    ),
    "accepted_at": ("Vreme prihvatanja", "Accepted at"),
    "access_basis": ("Osnov uvida", "Basis of the access"),
    "accessed_at": ("Vreme uvida", "Accessed at"),
    "accessor_institution": (
        "Ustanova koja je izvršila uvid",
        "Institution that accessed the data",
    ),
    "accessor_role": (
        "Uloga osobe koja je izvršila uvid",
        "Role of the person who accessed the data",
    ),
    "activity_id": ("Oznaka aktivnosti (id)", "Activity (id)"),
    "address": ("Adresa", "Address"),
    "agenda_reason": ("Povod sastanka", "Reason for the meeting"),
    "agreement_id": ("Oznaka sporazuma (id)", "Agreement (id)"),
    "amended_on": ("Dan stupanja izmene na snagu", "Amendment effective on"),
    "appeal_due_at": ("Rok za žalbu", "Appeal deadline"),
    "appealed_decision_id": (
        "Odluka na koju je izjavljena žalba (id)",
        "Decision appealed against (id)",
    ),
    "approach_distance_metres": ("Najmanja udaljenost (metara)", "Minimum distance (metres)"),
    "assessed_by": ("Ko je procenio rizik", "Assessed by"),
    "assessment_id": ("Oznaka procene rizika (id)", "Risk assessment (id)"),
    "assigned_role": ("Uloga stručnjaka koji postupa", "Role of the professional handling it"),
    "attending_institution_ids": ("Prisutne ustanove", "Institutions that attended"),
    "basis": ("Osnov upućivanja", "Basis of the referral"),
    "birth_date": ("Datum rođenja", "Birth date"),
    "birth_year": ("Godina rođenja", "Birth year"),
    "breach_category": ("Vrsta kršenja", "Kind of breach"),
    "breach_of_earlier_measures": (
        "Ranije kršenje hitnih mera ili mera zaštite",
        "Breach of earlier measures",
    ),
    "case_id": ("Slučaj (id)", "Case (id)"),
    "causation_id": ("Događaj koji je ovo izazvao (id)", "The event that caused this (id)"),
    "chair_institution": ("Ustanova koja predsedava", "Chairing institution"),
    "channel": ("Način prijave", "How it was reported"),
    "children_present": ("Prisutna deca", "Children present"),
    "children_witnessed": ("Deca su bila svedoci nasilja", "Children witnessed the violence"),
    "closed_at": ("Vreme zatvaranja", "Closed at"),
    "closed_event_id": ("Poništeno zatvaranje slučaja (id)", "Closing reversed (id)"),
    "completed_at": ("Vreme završetka", "Completed at"),
    "conference_id": ("Oznaka konferencije slučaja (id)", "Case conference (id)"),
    "consent_ref": ("Oznaka pristanka", "Consent reference"),
    "count": ("Broj", "Count"),
    "court_institution_id": ("Sud (id)", "Court (id)"),
    "csr_opinion_event_id": (
        "Mišljenje centra za socijalni rad (id događaja)",
        "Opinion of the centre for social work (event id)",
    ),
    "custody_or_contact_conflict": (
        "Sukob oko starateljstva ili viđanja deteta",
        "Conflict over custody or contact with a child",
    ),
    "days": ("Broj dana", "Days"),
    "decided_at": ("Vreme odlučivanja", "Decided at"),
    "decision_due_at": ("Rok za odluku suda", "Court decision deadline"),
    "decision_id": ("Oznaka odluke (id)", "Decision (id)"),
    "decisions": ("Donete odluke", "Decisions taken"),
    "declined_at": ("Vreme odbijanja", "Declined at"),
    "denial_or_minimisation": (
        "Poricanje ili umanjivanje nasilja",
        "Denial or minimisation of the violence",
    ),
    "description_code": ("Opis mere", "Description of the measure"),
    "due_at": ("Rok", "Due at"),
    "duration_hours": ("Trajanje (sati)", "Duration (hours)"),
    "ended_on": ("Poslednji dan važenja", "Last day in force"),
    "erased_at": ("Vreme brisanja", "Erased at"),
    "escalation": ("Nasilje postaje učestalije ili teže", "Violence is escalating"),
    "established_on": ("Dan uspostavljanja", "Established on"),
    "establishment_id": ("Oznaka uspostavljanja (id)", "Establishment (id)"),
    "evaluated_risk_level": (
        "Nivo rizika prema oceni javnog tužioca",
        "Risk level in the prosecutor's evaluation",
    ),
    "executor_institution": ("Ustanova izvršilac", "Institution carrying it out"),
    "expected_start_at": ("Očekivani početak", "Expected start"),
    "expired_at": ("Vreme isteka", "Expired at"),
    "expires_at": ("Mera ističe", "Expires at"),
    "extends_order_id": ("Naređenje koje se produžava (id)", "Order extended (id)"),
    "extension_days": ("Produženje (dana)", "Extension (days)"),
    "extension_days_requested": ("Traženo produženje (dana)", "Extension requested (days)"),
    "extension_proposal_due_at": ("Rok za predlog produženja", "Extension proposal deadline"),
    "factors": ("Faktori rizika", "Risk factors"),
    "family_name": ("Prezime", "Family name"),
    "final_risk_level": ("Nivo rizika pri zatvaranju", "Risk level at closure"),
    "for_subject_ids": ("Osobe kojima je namenjeno", "People it is for"),
    "form": ("Oblik pristanka", "Form of consent"),
    "forwarded_to_institution": ("Prosleđeno ustanovi", "Forwarded to institution"),
    "forwarded_to_prosecutor": ("Prosleđeno javnom tužiocu", "Forwarded to the prosecutor"),
    "given_by": ("Ko je dao pristanak", "Given by"),
    "given_name": ("Ime", "Given name"),
    "granted": ("Produženje usvojeno", "Extension granted"),
    "header": ("O događaju", "About the event"),
    "held_at": ("Vreme održavanja", "Held at"),
    "held_from": ("Prvi dan", "First day"),
    "held_until": ("Poslednji dan", "Last day"),
    "identified": ("Otkriven identitet", "Identity disclosed"),
    "identity": ("Identitet (platforma ga šifruje)", "Identity (sealed by the platform)"),
    "immediate_danger_alleged": ("Navedena neposredna opasnost", "Imminent danger alleged"),
    "imposed_at": ("Vreme izricanja", "Imposed at"),
    "in_force_from": ("Na snazi od", "In force from"),
    "in_force_until": ("Na snazi do", "In force until"),
    "incident_at": ("Vreme događaja nasilja", "Time of the incident"),
    "initial_risk": ("Početni nivo rizika", "Initial risk level"),
    "instance": ("Stepen suda", "Court instance"),
    "institution_id": ("Ustanova (id)", "Institution (id)"),
    "institution_kind": ("Vrsta ustanove", "Kind of institution"),
    "interpreter_needed": ("Potreban prevodilac ili tumač", "Interpreter needed"),
    "invited_institution_ids": ("Pozvane ustanove", "Institutions invited"),
    "jealousy_or_control": (
        "Izražena ljubomora ili kontrolisanje",
        "Jealousy or controlling behaviour",
    ),
    "jmbg": ("JMBG", "JMBG"),
    "key_id": ("Oznaka ključa (id)", "Key (id)"),
    "kind": ("Vrsta", "Kind"),
    "law_offices": ("Broj advokatskih kancelarija", "Number of law offices"),
    "legal_basis": ("Pravni osnov", "Legal basis"),
    "level": ("Nivo rizika", "Risk level"),
    "measure_id": ("Oznaka mere (id)", "Measure (id)"),
    "measure_type": ("Vrsta hitne mere", "Type of urgent measure"),
    "measures": ("Mere", "Measures"),
    "media": ("Medij", "Media"),
    "medium": ("Vrsta medija", "Medium"),
    "mental_illness": ("Duševna bolest", "Mental illness"),
    "misdemeanour_proceedings_initiated": (
        "Pokrenut prekršajni postupak",
        "Misdemeanour proceedings initiated",
    ),
    "municipality": ("Opština", "Municipality"),
    "new_expires_at": ("Novi istek mere", "New expiry"),
    "next_review_due_at": ("Rok za sledeće razmatranje", "Next review due"),
    "note_category": ("Napomena uz upućivanje", "Note on the referral"),
    "observed_at": ("Vreme kršenja", "Observed at"),
    "occurred_at": ("Kada se dogodilo", "When it happened"),
    "order_id": ("Oznaka naređenja (id)", "Order (id)"),
    "outcome": ("Ishod", "Outcome"),
    "outlet": ("Naziv medija", "Outlet"),
    "participants": ("Učesnici", "Participants"),
    "parties": ("Potpisnici", "Parties"),
    "period_ends_at": ("Kraj perioda", "End of the period"),
    "perpetrator_subject_id": ("Mogući učinilac (id)", "Possible perpetrator (id)"),
    "phone": ("Telefon", "Phone"),
    "plan_id": ("Oznaka plana (id)", "Plan (id)"),
    "plan_measure_id": ("Mera individualnog plana (id)", "Individual plan measure (id)"),
    "prior_urgent_or_protection_measure": (
        "Ranije izrečena hitna mera ili mera zaštite",
        "Earlier urgent or protection measure",
    ),
    "prior_violence": ("Ranije nasilje u porodici", "Earlier domestic violence"),
    "programme": ("Program obuke", "Training programme"),
    "proposal_due_at": ("Rok za predlog", "Proposal deadline"),
    "proposal_id": ("Oznaka predloga (id)", "Proposal (id)"),
    "proposed_at": ("Vreme podnošenja predloga", "Proposed at"),
    "protected_subject_ids": ("Zaštićene osobe", "People protected"),
    "provided_at": ("Vreme pružanja", "Provided at"),
    "purpose": ("Svrha uvida", "Purpose of the access"),
    "quantity": ("Količina", "Quantity"),
    "reach": ("Procenjen broj gledalaca, slušalaca ili čitalaca", "Estimated audience"),
    "readiness_to_repeat": ("Spremnost da ponovi nasilje", "Readiness to repeat the violence"),
    "reason": ("Razlog", "Reason"),
    "reason_code": ("Razlog", "Reason"),
    "reason_note": (
        "Kratko obrazloženje (bez ličnih podataka)",
        "Short explanation (no personal data)",
    ),
    "reassessment_requested": ("Zatražena nova procena rizika", "Risk reassessment requested"),
    "recent_or_intended_separation": (
        "Nedavni ili nameravani razlaz",
        "Recent or intended separation",
    ),
    "recent_violence": ("Nasilje neposredno pre procene", "Violence just before the assessment"),
    "recipients": ("Primaoci", "Recipients"),
    "referral_id": ("Upućivanje (id)", "Referral (id)"),
    "relationship": (
        "Odnos mogućeg učinioca prema žrtvi",
        "Relationship of the possible perpetrator to the victim",
    ),
    "reopened_at": ("Vreme ponovnog otvaranja", "Reopened at"),
    "report_channel": ("Kako je nasilje prijavljeno", "How the violence was reported"),
    "report_id": ("Oznaka prijave (id)", "Report (id)"),
    "reported_by": ("Ko je prijavio", "Reported by"),
    "resource": ("Šta je pregledano", "What was read"),
    "restricted_subject_ids": ("Osobe prema kojima je izrečeno", "People restricted"),
    "review_due_at": ("Rok za razmatranje plana", "Plan review due"),
    "revoked_at": ("Vreme povlačenja", "Revoked at"),
    "risk_assessment_id": ("Procena rizika (id)", "Risk assessment (id)"),
    "role": ("Uloga", "Role"),
    "scheduled_for": ("Zakazano za", "Scheduled for"),
    "scope": ("Obuhvat", "Scope"),
    "seminar": ("Seminar", "Seminar"),
    "served_at": ("Vreme uručenja", "Served at"),
    "service": ("Usluga", "Service"),
    "service_id": ("Oznaka usluge (id)", "Service (id)"),
    "service_type": ("Vrsta usluge", "Type of service"),
    "sex": ("Pol", "Sex"),
    "signed_on": ("Dan potpisivanja", "Signed on"),
    "stage": ("Faza postupka", "Procedural stage"),
    "statutory_basis": ("Zakonski osnov", "Statutory basis"),
    "strangulation_or_choking": ("Davljenje ili gušenje", "Strangulation or choking"),
    "subject_id": ("Osoba (id)", "Person (id)"),
    "subject_ids": ("Upućene osobe", "People referred"),
    "subjects": ("Osobe", "People"),
    "substance_abuse": (
        "Zloupotreba alkohola ili psihoaktivnih supstanci",
        "Alcohol or substance abuse",
    ),
    "suggested_institution": ("Predložena ustanova", "Suggested institution"),
    "supersedes_plan_id": ("Plan koji se menja (id)", "Plan revised (id)"),
    "supported_by": ("Podržale ustanove", "Supported by"),
    "threats_of_suicide": ("Pretnje samoubistvom", "Threats of suicide"),
    "threats_to_kill": ("Pretnje ubistvom", "Threats to kill"),
    "to_institution": ("Ustanova kojoj se upućuje", "Institution referred to"),
    "topic": ("Tema", "Topic"),
    "unit": ("Jedinica", "Unit"),
    "urgency": ("Hitnost", "Urgency"),
    "valid_from": ("Važi od", "Valid from"),
    "valid_until": ("Važi do", "Valid until"),
    "victim_fears": ("Žrtva se plaši", "The victim is afraid"),
    "victim_invited": ("Žrtva je pozvana", "The victim is invited"),
    "victim_isolation_or_dependence": (
        "Izolovanost ili zavisnost žrtve",
        "Victim isolated or dependent",
    ),
    "victim_participated": ("Žrtva je učestvovala", "The victim took part"),
    "victim_perceived_risk": ("Rizik prema proceni same žrtve", "Risk as the victim sees it"),
    "victim_pregnant": ("Žrtva je trudna", "The victim is pregnant"),
    "victim_subject_id": ("Žrtva (id)", "Victim (id)"),
    "victim_subject_ids": ("Žrtve", "Victims"),
    "violence_against_children": ("Nasilje i prema deci", "Violence against children too"),
    "violence_types": ("Oblici nasilja", "Forms of violence"),
    "weapon_possession": (
        "Poseduje oružje ili mu ima pristup",
        "Possesses or has access to a weapon",
    ),
    "withdrawn_at": ("Vreme povlačenja", "Withdrawn at"),
}

SYMBOLS: Final[dict[str, Label]] = {
    "ACCESS_BAN_HOME_OR_WORKPLACE": (
        "Zabrana pristupa prostoru oko mesta stanovanja ili rada",
        "Ban on access to the home or workplace",
    ),
    "ACCOMPANIMENT": ("Pratnja", "Accompaniment"),
    "ADMISSION_TO_FAMILY_HOME": (
        "Useljenje u porodični stan ili kuću",
        "Admission to the family home",
    ),
    "ADOPTED_CHILD": ("Usvojeno dete", "Adopted child"),
    "ADOPTIVE_PARENT": ("Usvojitelj", "Adoptive parent"),
    "ALTERNATIVE_SERVICES": ("Alternativne usluge", "Alternative services"),
    "ANONYMOUS": ("Anonimno", "Anonymous"),
    "APPROACHED_VICTIM": ("Približio se žrtvi", "Approached the victim"),
    "APPROACH_BAN": (
        "Zabrana približavanja članu porodice na određenoj udaljenosti",
        "Ban on approaching a family member within a set distance",
    ),
    "ASSESSMENT_REQUEST": ("Zahtev za procenu", "Assessment request"),
    "AUDIT": ("Revizija", "Audit"),
    "AUDITOR": ("Revizor", "Auditor"),
    "BASIC": ("Bazični", "Basic"),
    "BASIC_COURT": ("Osnovni sud", "Basic court"),
    "CAMPAIGN_ACTION": ("Akcija kampanje", "Campaign action"),
    "CASES": ("Slučajevi", "Cases"),
    "CASE_CLOSED": ("Slučaj zatvoren", "Case closed"),
    "CASE_CLOSURE_RECOMMENDED": ("Predloženo zatvaranje slučaja", "Case closure recommended"),
    "CASE_CONFERENCES": ("Konferencije slučaja", "Case conferences"),
    "CASE_HANDLING": ("Rad na slučaju", "Case handling"),
    "CASE_MANAGER": ("Voditelj slučaja", "Case manager"),
    "CASE_OWNER": ("Ustanova koja vodi slučaj", "Case owner"),
    "CASE_REGISTER": ("Evidencija slučajeva", "Case register"),
    "CHILD": ("Dete", "Child"),
    "CHILD_AT_RISK": ("Dete u riziku", "Child at risk"),
    "CHILD_PROTECTION_ASSESSMENT": (
        "Procena potreba zaštite deteta",
        "Child protection assessment",
    ),
    "CHILD_PROTECTION_MEASURES": ("Mere zaštite deteta", "Child protection measures"),
    "CLOSED_IN_ERROR": ("Zatvoren greškom", "Closed in error"),
    "CLOSURE_REVIEW": ("Razmatranje zatvaranja slučaja", "Closure review"),
    "COMMISSIONER_OR_COURT_ORDER": (
        "Nalog Poverenika ili suda",
        "Order of the Commissioner or a court",
    ),
    "COMMON_LAW_PARTNER": ("Vanbračni partner", "Common-law partner"),
    "COMMON_PROCEDURES": ("Usaglašene procedure postupanja", "Common procedures"),
    "COMPETENT_POLICE_OFFICER": ("Nadležni policijski službenik", "Competent police officer"),
    "CONFERENCE_MEMBER": ("Učesnik konferencije slučaja", "Case conference member"),
    "CONFERENCE_PARTICIPATION": (
        "Učešće u konferencijama slučaja",
        "Taking part in case conferences",
    ),
    "CONFERENCE_PREPARATION": ("Priprema konferencije slučaja", "Case conference preparation"),
    "CONFLICT_OF_INTEREST": ("Sukob interesa", "Conflict of interest"),
    "CONSENT": ("Pristanak", "Consent"),
    "CONSENT_WITHDRAWN": ("Pristanak povučen", "Consent withdrawn"),
    "CONSULTATIVE_MEETING": ("Konsultativni sastanak", "Consultative meeting"),
    "CONTACTED_VICTIM_REMOTELY": ("Kontaktirao žrtvu na daljinu", "Contacted the victim remotely"),
    "CONTACTS": ("Kontakti", "Contacts"),
    "CONTACT_BY_NGO": ("Kontakt udruženja sa žrtvom", "Contact by an NGO"),
    "CONTINUE_MONITORING": ("Nastavak praćenja", "Continue monitoring"),
    "COOPERATION_MODEL_PRESENTATION": (
        "Predstavljanje modela saradnje službi",
        "Presentation of the cooperation model",
    ),
    "COORDINATED_ACTION": ("Koordinirana akcija lokalne zajednice", "Coordinated action"),
    "COORDINATED_LOCAL_ACTION": (
        "Koordinirana akcija lokalne zajednice",
        "Coordinated local action",
    ),
    "COORDINATION_GROUP_REVIEW": (
        "Razmatranje u grupi za koordinaciju i saradnju",
        "Review by the coordination and cooperation group",
    ),
    "COORDINATOR": ("Koordinator", "Coordinator"),
    "COUNCIL_OF_EUROPE_CAMPAIGN": ("Kampanja Saveta Evrope", "Council of Europe campaign"),
    "COUNSELLING": ("Savetovanje", "Counselling"),
    "COURT": ("Sud", "Court"),
    "COURT_OR_PROSECUTOR_REQUEST": ("Zahtev suda ili tužilaštva", "Court or prosecutor request"),
    "COURT_PROCEEDINGS": ("Sudski postupak", "Court proceedings"),
    "CRIMINAL_APPROACH_AND_COMMUNICATION_BAN": (
        "Zabrana približavanja i komunikacije sa oštećenim (KZ)",
        "Ban on approaching and communicating with the injured party (Criminal Code)",
    ),
    "CRIMINAL_CODE": ("Krivični zakonik", "Criminal Code"),
    "CRIMINAL_PROCEDURE_CODE": ("Zakonik o krivičnom postupku", "Criminal Procedure Code"),
    "CRIMINAL_PROSECUTION": ("Krivično gonjenje", "Criminal prosecution"),
    "CRISIS_INTERVENTION": ("Krizna intervencija", "Crisis intervention"),
    "CSR": ("Centar za socijalni rad", "Centre for social work"),
    "CSR_OPINION": ("Mišljenje centra za socijalni rad", "Opinion of the centre for social work"),
    "DATA_EXCHANGE": ("Razmena podataka", "Data exchange"),
    "DATA_PROTECTION_LAW_ART_12_LEGAL_OBLIGATION": (
        "Zakon o zaštiti podataka o ličnosti, čl. 12: zakonska obaveza",
        "Data Protection Law Art. 12: legal obligation",
    ),
    "DATA_PROTECTION_LAW_ART_12_PUBLIC_TASK": (
        "Zakon o zaštiti podataka o ličnosti, čl. 12: javni interes",
        "Data Protection Law Art. 12: public task",
    ),
    "DATA_PROTECTION_LAW_ART_12_VITAL_INTERESTS": (
        "Zakon o zaštiti podataka o ličnosti, čl. 12: životno važni interesi",
        "Data Protection Law Art. 12: vital interests",
    ),
    "DATA_PROTECTION_LAW_ART_17_SPECIAL_CATEGORIES": (
        "Zakon o zaštiti podataka o ličnosti, čl. 17: posebne vrste podataka",
        "Data Protection Law Art. 17: special categories",
    ),
    "DATA_PROTECTION_OFFICER": ("Lice za zaštitu podataka o ličnosti", "Data protection officer"),
    "DATA_SUBJECT_ACCESS_REQUEST": ("Zahtev osobe za uvid", "The person's own access request"),
    "DATA_SUBJECT_REQUEST": ("Zahtev same osobe", "The person's own request"),
    "DISCLOSE_IDENTITY": ("Otkrivanje identiteta", "Disclosing the identity"),
    "DOCTOR": ("Lekar", "Doctor"),
    "DOMESTIC_VIOLENCE_AND_INSTITUTIONAL_PROTECTION": (
        "Nasilje u porodici i institucionalna zaštita",
        "Domestic violence and institutional protection",
    ),
    "DUPLICATE": ("Dvostruko upućivanje", "Duplicate"),
    "DUPLICATE_CASE": ("Dvostruki slučaj", "Duplicate case"),
    "ECONOMIC": ("Ekonomsko", "Economic"),
    "EDUCATION_SYSTEM_LAW": (
        "Zakon o osnovama sistema obrazovanja i vaspitanja",
        "Education System Law",
    ),
    "ELECTIVE": ("Izborni", "Elective"),
    "ELECTRONIC": ("Elektronski", "Electronic"),
    "ELIGIBILITY_NOT_MET": ("Uslovi nisu ispunjeni", "Eligibility not met"),
    "EMERGENCY": ("Hitan slučaj", "Emergency"),
    "EMERGENCY_RESPONSE": ("Hitna zaštita", "Emergency response"),
    "EMPLOYMENT_SUPPORT": ("Podrška u zapošljavanju", "Employment support"),
    "EVICTION_FROM_FAMILY_HOME": (
        "Iseljenje iz porodičnog stana ili kuće",
        "Eviction from the family home",
    ),
    "FAMILY_LAW": ("Porodični zakon", "Family Law"),
    "FAMILY_MEMBER": ("Član porodice", "Family member"),
    "FEMALE": ("Ženski", "Female"),
    "FINAL_COURT_DECISION": ("Pravnosnažna sudska odluka", "Final court decision"),
    "FINANCIAL_SUPPORT": ("Materijalna podrška", "Financial support"),
    "FOLLOW_UP": ("Praćenje", "Follow-up"),
    "FOLLOW_UP_CONTACT": ("Naknadni kontakt", "Follow-up contact"),
    "FOLLOW_UP_VISIT": ("Kontrolna poseta", "Follow-up visit"),
    "FORENSIC_EXAMINATION": ("Sudskomedicinski pregled", "Forensic examination"),
    "FORMER_COMMON_LAW_PARTNER": ("Bivši vanbračni partner", "Former common-law partner"),
    "FORMER_PARTNER": ("Bivši partner u emotivnoj vezi", "Former partner (not living together)"),
    "FORMER_SPOUSE": ("Bivši supružnik", "Former spouse"),
    "FOSTER_CHILD": ("Dete na hraniteljstvu", "Foster child"),
    "FOSTER_PARENT": ("Hranitelj", "Foster parent"),
    "FREE_LEGAL_AID": ("Besplatna pravna pomoć", "Free legal aid"),
    "FREE_LEGAL_AID_LAW": ("Zakon o besplatnoj pravnoj pomoći", "Free Legal Aid Law"),
    "GOAL_ACHIEVED": ("Cilj postignut", "Goal achieved"),
    "GRANDCHILD": ("Unuk ili unuka", "Grandchild"),
    "GRANDPARENT": ("Deda ili baba", "Grandparent"),
    "GUARDIANSHIP_AUTHORITY": ("Organ starateljstva", "Guardianship authority"),
    "GUARDIANSHIP_MEASURE": ("Mera starateljske zaštite", "Guardianship measure"),
    "HARASSMENT_BAN": (
        "Zabrana daljeg uznemiravanja člana porodice",
        "Ban on further harassment of a family member",
    ),
    "HEALTH": ("Zdravstvena ustanova", "Health institution"),
    "HEALTH_CARE_LAW": ("Zakon o zdravstvenoj zaštiti", "Health Care Law"),
    "HEALTH_SERVICE": ("Zdravstvena služba", "Health service"),
    "HIGH": ("Visok", "High"),
    "HIGHER_COURT_APPEAL": ("Viši sud (žalba)", "Higher court (appeal)"),
    "HOURS": ("Sati", "Hours"),
    "HOUSEHOLD_MEMBER": ("Član domaćinstva", "Household member"),
    "HOUSING_SUPPORT": ("Stambena podrška", "Housing support"),
    "IMMINENT_DANGER": ("Neposredna opasnost", "Imminent danger"),
    "IMMINENT_DANGER_REVIEW": ("Razmatranje neposredne opasnosti", "Imminent danger review"),
    "INFORMATION_ON_RIGHTS": ("Obaveštavanje o pravima", "Information on rights"),
    "INSUFFICIENT_INFORMATION": ("Nedovoljno informacija", "Insufficient information"),
    "IN_LAW": ("Srodnik po tazbini", "In-law"),
    "IN_PERSON": ("Lično", "In person"),
    "JUDGE": ("Sudija", "Judge"),
    "LAWYER": ("Advokat", "Lawyer"),
    "LAW_PREVENTION_DV_2017": (
        "Zakon o sprečavanju nasilja u porodici (2017)",
        "Law on Prevention of Domestic Violence (2017)",
    ),
    "LEGAL_AID": ("Pružalac pravne pomoći", "Legal aid provider"),
    "LEGAL_AID_AGREEMENT": ("Sporazum o besplatnom zastupanju", "Legal aid agreement"),
    "LEGAL_AID_OFFICER": ("Službenik pravne pomoći", "Legal aid officer"),
    "LEGAL_REPRESENTATION": ("Pravno zastupanje", "Legal representation"),
    "LIAISON_PERSON": ("Kontakt osoba", "Liaison person"),
    "LOCAL": ("Lokalni", "Local"),
    "LOCAL_ACTION_PLAN": ("Lokalni akcioni plan", "Local action plan"),
    "LOCAL_ACTIVITY_PLANNING": ("Planiranje lokalnih aktivnosti", "Local activity planning"),
    "LOCAL_GOVERNMENT": ("Lokalna samouprava", "Local government"),
    "LOCAL_GOVERNMENT_OFFICER": ("Službenik lokalne samouprave", "Local government officer"),
    "MALE": ("Muški", "Male"),
    "MEASURE_BREACH": ("Kršenje mere", "Breach of a measure"),
    "MEASURE_BREACHED": ("Mera prekršena", "Measure breached"),
    "MEDIA_APPEARANCE": ("Nastup u medijima", "Media appearance"),
    "MEDICAL_CARE": ("Zdravstvena zaštita", "Medical care"),
    "MEDIUM": ("Srednji", "Medium"),
    "MOBILE_TEAM": ("Mobilni tim", "Mobile team"),
    "MOBILE_TEAM_MEMBER": ("Član mobilnog tima", "Mobile team member"),
    "MONITORING": ("Praćenje", "Monitoring"),
    "NATIONAL": ("Nacionalni", "National"),
    "NEGLECT": ("Zanemarivanje", "Neglect"),
    "NEIGHBOUR_OR_WITNESS": ("Sused ili svedok", "Neighbour or witness"),
    "NEW_INCIDENT": ("Novi događaj nasilja", "New incident"),
    "NEW_RISK_INFORMATION": ("Nove informacije o riziku", "New information on the risk"),
    "NEW_VIOLENCE": ("Novo nasilje", "New violence"),
    "NGO": ("Udruženje (NVO)", "Non-governmental organisation (NGO)"),
    "NGO_COUNSELLOR": ("Savetnik u udruženju", "NGO counsellor"),
    "NIGHTS": ("Noćenja", "Nights"),
    "NOT_ACHIEVED": ("Nije postignut", "Not achieved"),
    "NOT_COMPETENT": ("Nismo nadležni", "Not competent"),
    "NO_CAPACITY": ("Nemamo kapaciteta", "No capacity"),
    "NO_CHANGE": ("Bez promene", "No change"),
    "NO_CONSENT": ("Nema pristanka", "No consent"),
    "NO_LONGER_NEEDED": ("Više nije potrebno", "No longer needed"),
    "NO_VIOLENCE_ESTABLISHED": ("Nasilje nije utvrđeno", "No violence established"),
    "NURSE": ("Medicinska sestra", "Nurse"),
    "ONLINE": ("Internet", "Online"),
    "ON_DUTY_OFFICER": ("Dežurni službenik", "Officer on duty"),
    "OPENED_IN_ERROR": ("Otvoren greškom", "Opened in error"),
    "ORAL_RECORDED": ("Usmeno, zabeleženo", "Oral, recorded"),
    "OTHER": ("Drugo", "Other"),
    "OTHER_RELATIVE": ("Drugi srodnik", "Other relative"),
    "OUTSIDE_TERRITORY": ("Van naše teritorije", "Outside our territory"),
    "P1": ("Hitno (odgovor za 24 sata)", "Urgent (answer within 24 hours)"),
    "P2": ("Prioritetno (odgovor za 72 sata)", "Priority (answer within 72 hours)"),
    "P3": ("Redovno (odgovor za 5 radnih dana)", "Routine (answer within 5 working days)"),
    "PARENT": ("Roditelj", "Parent"),
    "PARENT_OR_LEGAL_REPRESENTATIVE": (
        "Roditelj ili zakonski zastupnik",
        "Parent or legal representative",
    ),
    "PARTIALLY_ACHIEVED": ("Delimično postignut", "Partially achieved"),
    "PARTNER": (
        "Partner u emotivnoj vezi (bez zajedničkog života)",
        "Partner (not living together)",
    ),
    "PERPETRATOR": ("Mogući učinilac", "Possible perpetrator"),
    "PERPETRATOR_PROGRAMME": ("Program za rad sa učiniocima", "Perpetrator programme"),
    "PHYSICAL": ("Fizičko", "Physical"),
    "PLAN_ADOPTED": ("Plan usvojen", "Plan adopted"),
    "PLAN_ADOPTION": ("Usvajanje plana", "Plan adoption"),
    "PLAN_MEASURE": ("Mera individualnog plana", "Plan measure"),
    "PLAN_REVIEW": ("Razmatranje plana", "Plan review"),
    "PLAN_REVISED": ("Plan izmenjen", "Plan revised"),
    "PLATFORM": ("Platforma", "Platform"),
    "PLATFORM_SYSTEM": ("Sistem platforme", "Platform system"),
    "POLICE": ("Policija", "Police"),
    "POLICE_ASSESSMENT": ("Procena rizika policije", "Police risk assessment"),
    "POLICE_CALL": ("Poziv policiji", "Police call"),
    "POLICE_CHECKS": ("Policijske provere", "Police checks"),
    "POLICE_LAW": ("Zakon o policiji", "Police Law"),
    "POLICE_OFFICER": ("Policijski službenik", "Police officer"),
    "PRINT": ("Štampa", "Print"),
    "PROFESSIONAL": ("Stručno lice", "Professional"),
    "PROFESSIONAL_MEETING": ("Stručni sastanak", "Professional meeting"),
    "PROFESSIONAL_STRESS": (
        "Prevladavanje profesionalnog stresa",
        "Coping with professional stress",
    ),
    "PROGRAMME_AND_LOCAL_INITIATIVES": (
        "Program i lokalne inicijative",
        "Programme and local initiatives",
    ),
    "PROGRAMME_CLOSED": ("Program zatvoren", "Programme closed"),
    "PROGRAMME_PARTNERS_MEETING": ("Sastanak partnera programa", "Programme partners' meeting"),
    "PROPOSE_CRIMINAL_PROSECUTION": ("Predlog krivičnog gonjenja", "Propose criminal prosecution"),
    "PROPOSE_MEASURES_TO_END_PROCEEDINGS": (
        "Predlog mera za okončanje postupka",
        "Propose measures to end the proceedings",
    ),
    "PROPOSE_PROTECTION_ORDER": (
        "Predlog mere zaštite od nasilja u porodici",
        "Propose a protection order",
    ),
    "PROPOSE_URGENT_MEASURE_EXTENSION": (
        "Predlog produženja hitne mere",
        "Propose extending the urgent measure",
    ),
    "PROSECUTOR": ("Javno tužilaštvo", "Public prosecutor's office"),
    "PROSECUTOR_EVALUATION": ("Ocena javnog tužioca", "Prosecutor's evaluation"),
    "PROTECTION": ("Zaštita", "Protection"),
    "PROTECTION_ACHIEVED": ("Zaštita ostvarena", "Protection achieved"),
    "PROTECTION_IN_EDUCATION": ("Zaštita u obrazovanju", "Protection in education"),
    "PSYCHOLOGICAL": ("Psihičko", "Psychological"),
    "PSYCHOLOGIST": ("Psiholog", "Psychologist"),
    "PSYCHOSOCIAL_SUPPORT": ("Psihosocijalna podrška", "Psychosocial support"),
    "PUBLIC_AWARENESS": ("Podizanje svesti javnosti", "Public awareness"),
    "PUBLIC_PROSECUTOR": ("Javni tužilac", "Public prosecutor"),
    "RADIO": ("Radio", "Radio"),
    "REDIRECTED": ("Upućeno drugoj ustanovi", "Redirected"),
    "REFERRALS_AGREED": ("Dogovorena upućivanja", "Referrals agreed"),
    "REFERRAL_PROCESSING": ("Postupanje po upućivanju", "Referral processing"),
    "REFERRAL_RECIPIENT": ("Primalac upućivanja", "Referral recipient"),
    "REFERRAL_TO_SERVICES": ("Upućivanje na usluge", "Referral to services"),
    "REGIONAL": ("Regionalni", "Regional"),
    "REGISTERED_IN_ERROR": ("Upisano greškom", "Registered in error"),
    "REGULAR_REVIEW_15_DAYS": ("Redovno razmatranje (15 dana)", "Regular review (15 days)"),
    "RETENTION_PERIOD_EXPIRED": ("Istekao rok čuvanja", "Retention period expired"),
    "RETURNED_TO_DWELLING": ("Vratio se u stan", "Returned to the dwelling"),
    "RISK_ASSESSMENT": ("Procena rizika", "Risk assessment"),
    "RISK_REASSESSMENT": ("Ponovna procena rizika", "Risk reassessment"),
    "RISK_REASSESSMENT_REQUESTED": (
        "Zatražena ponovna procena rizika",
        "Risk reassessment requested",
    ),
    "SAFETY_PLAN": ("Bezbednosni plan", "Safety plan"),
    "SAFE_HOUSE": ("Sigurna kuća", "Safe house"),
    "SCHOOL": ("Škola", "School"),
    "SCHOOL_PSYCHOLOGIST_OR_PEDAGOGUE": (
        "Školski psiholog ili pedagog",
        "School psychologist or pedagogue",
    ),
    "SCHOOL_SUPPORT": ("Podrška u školi", "School support"),
    "SELF_HELP_GROUP": ("Grupa samopomoći", "Self-help group"),
    "SELF_HELP_GROUPS": ("Grupe samopomoći", "Self-help groups"),
    "SEMINAR": ("Seminar", "Seminar"),
    "SENT_IN_ERROR": ("Poslato greškom", "Sent in error"),
    "SERVICE_NOT_OFFERED": ("Ne pružamo tu uslugu", "Service not offered"),
    "SERVICE_PROVISION": ("Pružanje usluge", "Service provision"),
    "SESSIONS": ("Susreti", "Sessions"),
    "SEXUAL": ("Seksualno", "Sexual"),
    "SHARED_DEFINITIONS": ("Usaglašene definicije i principi rada", "Shared definitions"),
    "SHARE_CASE_INFORMATION": ("Razmena podataka o slučaju", "Sharing case information"),
    "SHARE_HEALTH_DATA": ("Razmena zdravstvenih podataka", "Sharing health data"),
    "SHELTER": ("Prihvatilište", "Shelter"),
    "SHELTER_PLACEMENT": ("Smeštaj u prihvatilište", "Shelter placement"),
    "SIBLING": ("Brat ili sestra", "Sibling"),
    "SOCIAL_PROTECTION_LAW": ("Zakon o socijalnoj zaštiti", "Social Protection Law"),
    "SOCIAL_WORKER": ("Socijalni radnik", "Social worker"),
    "SOS_LINE": ("SOS telefon", "SOS line"),
    "SOS_LINE_COUNSELLOR": ("Savetnik SOS telefona", "SOS line counsellor"),
    "SPOUSE": ("Supružnik", "Spouse"),
    "STALKING": ("Proganjanje", "Stalking"),
    "STANDARD": (
        "Standardni (bez naznaka daljeg nasilja)",
        "Standard (no sign of further violence)",
    ),
    "STATUTORY": ("Zakonski osnov", "Statutory"),
    "STEP_CHILD": ("Pastorak ili pastorka", "Stepchild"),
    "STEP_PARENT": ("Očuh ili maćeha", "Step-parent"),
    "SUBJECT": ("Sama osoba", "The person"),
    "SUBJECT_DECEASED": ("Osoba je preminula", "The person died"),
    "SUBJECT_DECLINED": ("Osoba je odustala", "The person declined"),
    "SUBJECT_DECLINED_SERVICE": ("Osoba je odbila uslugu", "The person declined the service"),
    "SUBJECT_MOVED": ("Osoba se preselila", "The person moved"),
    "SUBJECT_UNREACHABLE": ("Osoba nedostupna", "The person unreachable"),
    "SUPERSEDED": ("Zamenjeno", "Superseded"),
    "SUPERVISED_CHILD_CONTACT": (
        "Viđanje deteta pod nadzorom",
        "Supervised contact with the child",
    ),
    "SUPERVISION": ("Nadzor", "Supervision"),
    "SUPPORT": ("Podrška", "Support"),
    "TEACHER": ("Nastavnik", "Teacher"),
    "TELEVISION": ("Televizija", "Television"),
    "TEMPORARY_CONTACT_BAN": (
        "Privremena zabrana učiniocu da kontaktira žrtvu i prilazi joj",
        "Temporary ban on contacting and approaching the victim",
    ),
    "TEMPORARY_REMOVAL_FROM_DWELLING": (
        "Privremeno udaljenje učinioca iz stana",
        "Temporary removal of the perpetrator from the dwelling",
    ),
    "TERMINATED_BY_PARTY": ("Raskinula strana", "Terminated by a party"),
    "TERM_EXPIRED": ("Istekao rok", "Term expired"),
    "THREATS": ("Pretnje", "Threats"),
    "TRAINING": ("Edukacija", "Training"),
    "TRANSFERRED": ("Preneto drugoj ustanovi", "Transferred"),
    "TRANSFERRED_TO_OTHER_AREA": ("Preneto na drugo područje", "Transferred to another area"),
    "TRIBUNE_OR_LECTURE": ("Tribina ili predavanje", "Tribune or lecture"),
    "UNKNOWN": ("Nepoznato", "Unknown"),
    "UNLAWFUL_PROCESSING": ("Nezakonita obrada", "Unlawful processing"),
    "URGENT_MEASURE_FOLLOW_UP": ("Praćenje hitne mere", "Urgent measure follow-up"),
    "URGENT_MEASURE_IN_FORCE": ("Hitna mera na snazi", "Urgent measure in force"),
    "URGENT_MEASURE_PROCEDURE": ("Postupak hitne mere", "Urgent measure procedure"),
    "VICTIM": ("Žrtva", "Victim"),
    "VICTIM_DECLINED_FURTHER_SUPPORT": (
        "Žrtva je odbila dalju podršku",
        "The victim declined further support",
    ),
    "VICTIM_REQUEST": ("Na zahtev žrtve", "At the victim's request"),
    "VIOLENCE_PREVENTION_AWARENESS": (
        "Podizanje svesti o sprečavanju nasilja",
        "Violence prevention awareness",
    ),
    "VITAL_INTEREST": ("Životno važan interes", "Vital interest"),
    "WITNESS": ("Svedok", "Witness"),
    "WORK_WITH_PERPETRATORS": ("Rad sa nasilnicima", "Work with perpetrators"),
    "WORK_WITH_VICTIMS": ("Rad sa žrtvama nasilja", "Work with victims"),
    "WRITTEN": ("Pismeno", "Written"),
}
