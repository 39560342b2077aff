"""The hint under each field of the event forms in Serbian (Latin script), written from the
field's doc in ``schemas/avro/**.avsc``: a Serbian page shows it, an English page the schema's own
(English) description.

A hint is found as a label is (``labels.FIELDS``): by the field's own name, the last part of its
dotted path, so ``municipality`` has one hint in every form. Where schemas give the same name
different docs (``municipality`` of a case, of a person, of an activity; ``measure_id`` of a new
urgent measure or of the one a breach names), the hint is written to be true for every use
rather than keyed by event type, so the table stays one line a field. The terms are those of
``labels.py`` and of the Law on Prevention of Domestic Violence, cited as ZSNP (Zakon o
sprečavanju nasilja u porodici; the schemas' LPDV). The identity fields and the header have no
schema doc, so only a Serbian page shows a hint under them. A field a form reaches without a
line here keeps the English description (marked as such) and fails
``tests/unit/test_portal_labels.py``, as does a line no form reaches.
"""

from __future__ import annotations

from typing import Final


def field_hint(key: str, lang: str) -> str:
    """The hint under a field named ``key`` on a page in ``lang``: the Serbian one on a Serbian
    page, or "" where the schema's English description is to be shown instead."""
    return HINTS.get(key, "") if lang == "sr" else ""


HINTS: Final[dict[str, str]] = {
    "acceptance_refused": (
        "Da, ako je osoba odbila da primi naređenje; mera je ipak uručena i traje."
    ),
    "accepted_at": "Kada je uput prihvaćen (UTC); poredi se s rokom za odgovor.",
    "access_basis": "Učešće u slučaju ili drugi osnov koji je dozvolio uvid.",
    "accessed_at": "Kada su podaci pročitani (UTC).",
    "accessor_institution": "Ustanova čiji je korisnik ili sistem pročitao podatke.",
    "accessor_role": "Uloga osobe koja je pročitala podatke (nikad ime).",
    "activity_id": (
        "Oznaka ove aktivnosti koju bira izdavalac (uvoz je izvodi iz oznake u tabeli, pa "
        "dvostruki uvoz istog fajla ne dodaje ništa)."
    ),
    "address": (
        "Adresa osobe; platforma je šifruje pre slanja i vidi je samo ko sme da otvori trezor."
    ),
    "agenda_reason": "Glavni razlog sastanka.",
    "agreement_id": (
        "Oznaka sporazuma: novog, koju bira izdavalac, ili onog koji se menja ili prestaje."
    ),
    "amended_on": "Dan od kog izmena važi.",
    "appeal_due_at": (
        "Poslednji trenutak za žalbu: tri dana od prijema odluke (ZSNP čl. 20 st. 1), ako je "
        "poznat."
    ),
    "appealed_decision_id": (
        "Kod odluke po žalbi: oznaka prvostepene odluke protiv koje je izjavljena žalba."
    ),
    "approach_distance_metres": (
        "Najmanja udaljenost u metrima kod zabrane približavanja (Porodični zakon čl. 198 st. 2 "
        "tač. 3), ako je određena."
    ),
    "assessed_by": (
        "Vrsta ustanove koja je izvršila procenu (obično policija; centar za socijalni rad za "
        "mišljenje; javno tužilaštvo za ocenu)."
    ),
    "assessment_id": (
        "Oznaka ove procene rizika; na nju se pozivaju hitne mere i predlozi za produženje."
    ),
    "assigned_role": "Uloga stručnjaka koji će postupati po uputu (nikad ime).",
    "attending_institution_ids": "Oznake ustanova koje su prisustvovale.",
    "basis": "Pristanak ili zakonski osnov uputa.",
    "birth_date": "Datum rođenja; platforma ga šifruje pre slanja.",
    "birth_year": (
        "Samo godina rođenja (tačan datum je neposredni identifikator i putuje samo šifrovan). "
        "Pokazuje da li je osoba dete; u statistici se pretvara u starosne grupe."
    ),
    "breach_category": "U čemu se sastojalo kršenje.",
    "breach_of_earlier_measures": (
        "Mogući učinilac je prekršio raniju hitnu meru, meru zaštite ili meru suda."
    ),
    "case_id": (
        "Slučaj kome događaj pripada; po njemu svi događaji jednog slučaja ostaju u redosledu."
    ),
    "causation_id": (
        "Oznaka događaja koji je neposredno izazvao ovaj (npr. uput na koji odgovara prihvatanje); "
        "prazno ako ga nije izazvao drugi događaj."
    ),
    "chair_institution": (
        "Ustanova koja predsedava sastankom: osnovno (ili više) javno tužilaštvo po ZSNP čl. 26 "
        "st. 3–4, ili centar za socijalni rad za konferenciju slučaja koju on saziva."
    ),
    "channel": "Kako je prijava stigla do ustanove.",
    "children_present": (
        "Da li u domaćinstvu žive deca ili su bila prisutna, ako je poznato; deci izloženoj "
        "nasilju potrebna je procena centra za socijalni rad kao organa starateljstva, a obuhvata "
        "ih i individualni plan (ZSNP čl. 31 st. 1)."
    ),
    "children_witnessed": "Deca su bila svedoci nasilja.",
    "closed_at": "Kada je slučaj zatvoren (UTC).",
    "closed_event_id": "Oznaka događaja zatvaranja slučaja koji se poništava, ako je poznata.",
    "completed_at": (
        "Kada je usluga ili mera završena (UTC); kod mere plana poredi se s njenim rokom."
    ),
    "conference_id": (
        "Oznaka konferencije slučaja: nove, koju bira izdavalac, ili sastanka na koji se događaj "
        "odnosi (na kom je, na primer, usvojen plan)."
    ),
    "consent_ref": (
        "Neprozirna oznaka pristanka (novog, ili onog na koji se događaj oslanja ili koji se "
        "povlači); u zaglavlju i uputu obavezna kada je osnov pristanak. Nikad ne sadrži lične "
        "podatke."
    ),
    "count": "Koliko (najmanje 1).",
    "court_institution_id": (
        "Oznaka osnovnog suda kome je predlog podnet (sud prema prebivalištu žrtve, ZSNP čl. 19 "
        "st. 1), npr. „court.os-kragujevac”."
    ),
    "csr_opinion_event_id": (
        "Oznaka procene rizika (faza mišljenja centra za socijalni rad) sa mišljenjem centra "
        "korišćenim u ovoj proceni (ZSNP čl. 15 st. 3), ako je zatraženo."
    ),
    "custody_or_contact_conflict": (
        "Postoji sukob oko starateljstva nad detetom ili oko kontakta deteta s roditeljem koji je "
        "mogući učinilac (ZSNP čl. 16 st. 2)."
    ),
    "days": "Koliko je dana trajalo (najmanje 1).",
    "decided_at": "Kada je odluka doneta (UTC).",
    "decision_due_at": (
        "Vreme podnošenja predloga + 24 sata: sud odlučuje u roku od 24 sata od prijema predloga, "
        "bez ročišta (ZSNP čl. 19 st. 3). Ako je sud predlog primio kasnije, važi vreme prijema."
    ),
    "decision_id": "Oznaka ove odluke (nije službeni broj odluke).",
    "decisions": "Donete odluke, kao šifre sa spiska (sažetak).",
    "declined_at": "Kada je uput odbijen (UTC).",
    "denial_or_minimisation": "Mogući učinilac poriče ili umanjuje nasilje ili okrivljuje žrtvu.",
    "description_code": (
        "Opis mere kao šifra sa spiska (bez slobodnog teksta, da ne putuje nikakav lični podatak)."
    ),
    "due_at": (
        "Rok (UTC): kod mere plana rok za njeno preduzimanje (ZSNP čl. 31 st. 4); kod uputa rok za "
        "odgovor, a ako je prazno, vreme slanja + podrazumevani rok hitnosti."
    ),
    "duration_hours": "Trajanje u satima od uručenja naređenja: 48 po zakonu (ZSNP čl. 21 st. 1).",
    "ended_on": "Poslednji dan važenja sporazuma.",
    "erased_at": "Kada je ključ uništen (UTC).",
    "escalation": "Nasilje postaje sve češće ili teže.",
    "established_on": "Dan kada je počela da radi.",
    "establishment_id": "Oznaka ovog uspostavljanja koju bira izdavalac.",
    "evaluated_risk_level": (
        "Nivo rizika prema oceni javnog tužioca o policijskoj proceni (ZSNP čl. 18 st. 1 i 3)."
    ),
    "executor_institution": (
        "Ustanova odgovorna za sprovođenje mere (izvršilac, ZSNP čl. 31 st. 4)."
    ),
    "expected_start_at": "Kada se očekuje početak usluge (UTC), ako je poznato.",
    "expired_at": "Kada je utvrđeno da je rok istekao (UTC); ne pre roka za odgovor.",
    "expires_at": (
        "Kada mera prestaje ako ne bude produžena: vreme uručenja + trajanje (48 sati, ZSNP čl. 21 "
        "st. 1)."
    ),
    "extends_order_id": (
        "Oznaka ranije mere zaštite koju ova produžava (Porodični zakon čl. 199), ako je reč o "
        "produženju."
    ),
    "extension_days": (
        "Trajanje produženja u danima: 30 po zakonu (ZSNP čl. 21 st. 2); ne uzima se u obzir ako "
        "produženje nije odobreno."
    ),
    "extension_days_requested": "Traženo produženje u danima: 30 po zakonu (ZSNP čl. 21 st. 2).",
    "extension_proposal_due_at": (
        "Krajnji rok za predlog javnog tužioca za produženje: vreme uručenja + 24 sata (ZSNP čl. "
        "18 st. 2)."
    ),
    "factors": "Utvrđeni faktori rizika (ZSNP čl. 16 st. 2 i praksa).",
    "family_name": "Prezime osobe; platforma ga šifruje pre slanja.",
    "final_risk_level": "Nivo rizika pri zatvaranju prema poslednjoj proceni, ako je procene bilo.",
    "for_subject_ids": (
        "Osobe kojima je mera ili usluga namenjena: žrtva i, po potrebi, drugi članovi porodice, "
        "kao deca (ZSNP čl. 31 st. 1)."
    ),
    "form": "Oblik pristanka.",
    "forwarded_to_institution": (
        "Oznaka policijske uprave ili javnog tužilaštva kome je prijava prosleđena po ZSNP čl. 13, "
        "kada ustanova koja ju je primila nije nijedno od njih."
    ),
    "forwarded_to_prosecutor": (
        "Da, ako je policija obaveštenje i ovu procenu prosledila osnovnom javnom tužiocu "
        "(obavezno bez odlaganja kada procena pokazuje neposrednu opasnost, ZSNP čl. 16)."
    ),
    "given_by": "Ko je dao pristanak.",
    "given_name": "Ime osobe; platforma ga šifruje pre slanja.",
    "granted": (
        "Da, ako je mera produžena; ne, ako je predlog odbijen kao neosnovan (ZSNP čl. 19 st. 2)."
    ),
    "header": (
        "Ono što svaki događaj navodi: slučaj, kada se desilo, pravni osnov i događaj koji ga je "
        "izazvao."
    ),
    "held_at": "Kada je sastanak održan (UTC).",
    "held_from": "Prvi dan aktivnosti.",
    "held_until": (
        "Poslednji dan, za aktivnost od više dana (dvodnevni seminar); prazno za jedan dan."
    ),
    "identified": (
        "Da, ako su otkriveni neposredni identifikatori (otvoreni šifrovani podaci); ne, za "
        "pseudonimizovani prikaz."
    ),
    "identity": "Neposredni identifikatori jedne osobe: ono što samo trezor može da otvori.",
    "immediate_danger_alleged": (
        "Da, ako podnosilac prijave navodi da nasilje neposredno preti (neposredna opasnost, ZSNP "
        "čl. 3 st. 2); policija tada odmah procenjuje rizik (čl. 15)."
    ),
    "imposed_at": "Kada je naređenje izdato (UTC).",
    "in_force_from": "Prvi dan važenja sporazuma.",
    "in_force_until": (
        "Poslednji dan važenja (posle izmene, ako je reč o izmeni); prazno za sporazum bez roka."
    ),
    "incident_at": (
        "Kada se prijavljeni događaj nasilja desio (UTC), ako je poznato; vreme prijema prijave je "
        "vreme navedeno u zaglavlju."
    ),
    "initial_risk": (
        "Nivo rizika poznat pri otvaranju, ako postoji (npr. neposredna opasnost koju je navela "
        "policija); formalna procena se šalje kao „Procena rizika” (ZSNP čl. 15–16)."
    ),
    "instance": "Koja je sudska instanca odlučila.",
    "institution_id": (
        "Trajna oznaka ustanove, npr. „csr.lazarevac”, „police.pu-beograd.lazarevac”, „ngo.azc”, "
        "„court.os-kragujevac” (kod usluge: registrovana ustanova koja je pruža, ako jeste takva)."
    ),
    "institution_kind": "Vrsta ustanove iz koje su došli; prazno za građane (publika tribine).",
    "interpreter_needed": (
        "Da, ako su osobi potrebne informacije na drugom jeziku ili znakovnom jeziku: ustanove "
        "moraju obavestiti žrtvu na način i jeziku koji razume (ZSNP čl. 29)."
    ),
    "invited_institution_ids": (
        "Oznake pozvanih ustanova; pozivom postaju učesnici slučaja (potreba da znaju)."
    ),
    "jealousy_or_control": "Izražena ljubomora, posesivnost ili kontrolišuće ponašanje.",
    "jmbg": "Jedinstveni matični broj građana; platforma ga šifruje pre slanja.",
    "key_id": "Oznaka uništenog ključa podataka (kao u šifrovanim podacima).",
    "kind": (
        "Vrsta: ustanove, aktivnosti, mere plana (zaštita, podrška ili praćenje, ZSNP čl. 31 st. "
        "3–4) ili osnova uputa (zakon, pristanak ili životno važan interes)."
    ),
    "law_offices": (
        "Za sporazum o besplatnom zastupanju: sa koliko advokatskih kancelarija; inače prazno."
    ),
    "legal_basis": (
        "Pravni osnov obrade i razmene podataka u ovom događaju (npr. Zakon o sprečavanju nasilja "
        "u porodici za zakonsku razmenu, pristanak za razmenu na osnovu pristanka)."
    ),
    "level": (
        "Utvrđeni nivo rizika; „Neposredna opasnost” je neposredna opasnost u smislu ZSNP čl. 3 "
        "st. 2."
    ),
    "measure_id": (
        "Oznaka mere: nove hitne mere ili mere plana, ili one na koju se događaj odnosi (uručenje, "
        "produženje, kršenje, izvršenje)."
    ),
    "measure_type": (
        "Udaljenje učinioca iz stana ili zabrana kontaktiranja i prilaska žrtvi (ZSNP čl. 17)."
    ),
    "measures": (
        "Određene mere: kod mere zaštite one iz Porodičnog zakona čl. 198 st. 2 tač. 1–5 ili "
        "Krivičnog zakonika čl. 89a; kod plana mere zaštite, podrške i praćenja s izvršiocem i "
        "rokom (ZSNP čl. 31 st. 3–4)."
    ),
    "media": "Za nastup u medijima: medij i njegov domet; inače prazno.",
    "medium": "Vrsta medija.",
    "mental_illness": "Mogući učinilac je duševno bolestan (ZSNP čl. 16 st. 2).",
    "misdemeanour_proceedings_initiated": (
        "Da, ako je pokrenut prekršajni postupak po ZSNP čl. 36 st. 1."
    ),
    "municipality": (
        "Oznaka opštine (npr. „lazarevac”): prebivališta osobe, mesta nasilja, ili zajednice kojoj "
        "aktivnost, usluga ili sporazum služi. Kod otvaranja slučaja određuje nadležni centar za "
        "socijalni rad, osnovno javno tužilaštvo i grupu za koordinaciju i saradnju (ZSNP čl. 25 "
        "st. 1). Nikad ulica i broj."
    ),
    "new_expires_at": "Novi kraj mere kada je produženje odobreno (UTC); prazno kada je odbijeno.",
    "next_review_due_at": (
        "Kada slučaj treba ponovo razmotriti (UTC): najkasnije 15 dana posle sastanka (ZSNP čl. 25 "
        "st. 3)."
    ),
    "note_category": "Kontekst uputa kao šifra sa spiska, ako postoji.",
    "observed_at": "Kada se kršenje desilo ili je uočeno (UTC).",
    "occurred_at": (
        "Kada se činjenica desila u stvarnosti (UTC), npr. kada je naređenje uručeno. Zakonski "
        "rokovi se računaju od vremena iz samog događaja, koje je obično ovo."
    ),
    "order_id": (
        "Oznaka u platformi (nije službeni broj): kod hitne mere policijskog naređenja, koja "
        "objedinjuje mere izrečene istim naređenjem (ZSNP čl. 17); kod mere zaštite sudske odluke."
    ),
    "outcome": "Ishod mere ili uputa, kao šifra sa spiska.",
    "outlet": (
        "Naziv medija (novina, stanice ili portala, npr. „Radio Lazarevac”), ako je zabeležen. "
        "Nikad ime novinara ili govornika."
    ),
    "participants": (
        "Učesnici po vrsti ustanove i polu (broj, nikad spisak ljudi); prazno ako nije zabeleženo "
        "(nastup u medijima ih nema)."
    ),
    "parties": (
        "Ustanove potpisnice (najmanje dve, svaka registrovana u razmeni, među njima izdavalac); "
        "kod izmene, strane posle izmene."
    ),
    "period_ends_at": (
        "Kraj obuhvaćenog perioda (UTC), npr. poslednja noć u sigurnoj kući, ako postoji."
    ),
    "perpetrator_subject_id": (
        "Mogući učinilac: onaj čiji se rizik procenjuje (ako je registrovan) ili onaj kome je mera "
        "izrečena."
    ),
    "phone": "Broj telefona osobe; platforma ga šifruje pre slanja.",
    "plan_id": "Oznaka plana (ove verzije, kada je revidiran), ili plana koji sadrži meru.",
    "plan_measure_id": (
        "Mera individualnog plana koju ovaj uput ili usluga sprovodi (ZSNP čl. 31 st. 4), ako "
        "postoji."
    ),
    "prior_urgent_or_protection_measure": (
        "Mogućem učiniocu je ranije izrečena hitna mera (ZSNP čl. 17) ili mera zaštite od nasilja "
        "u porodici (Porodični zakon čl. 198) (ZSNP čl. 16 st. 2)."
    ),
    "prior_violence": "Mogući učinilac je ranije vršio nasilje u porodici (ZSNP čl. 16 st. 2).",
    "programme": "Koji program obuke.",
    "proposal_due_at": (
        "Vreme uručenja + 24 sata, zakonski rok za predlog (ZSNP čl. 18 st. 2); predlog podnet "
        "posle toga je zakasneo."
    ),
    "proposal_id": "Oznaka predloga za produženje: novog, ili onog o kome je odlučeno.",
    "proposed_at": "Kada je predlog podnet sudu (UTC).",
    "protected_subject_ids": "Osobe koje mera štiti (žrtve, deca, članovi porodice).",
    "provided_at": "Kada je usluga pružena, ili počela ako traje neki period (UTC).",
    "purpose": "Navedena svrha uvida.",
    "quantity": "Pružena količina u izabranoj jedinici (npr. 7 noći, 2 sastanka); najmanje 1.",
    "reach": "Procenjena publika (gledaoci, slušaoci, čitaoci), ako je poznata.",
    "readiness_to_repeat": "Mogući učinilac izgleda spreman da ponovi nasilje (ZSNP čl. 16 st. 2).",
    "reason": (
        "Razlog, kao šifra sa spiska: zatvaranja, ponovnog otvaranja, prestanka sporazuma ili "
        "povlačenja uputa."
    ),
    "reason_code": "Razlog odbijanja uputa ili brisanja osobe, kao šifra sa spiska.",
    "reason_note": (
        "Kratko objašnjenje po želji (najviše oko 500 znakova). NE SME sadržati lične podatke: ni "
        "imena, JMBG, adrese, telefone, datume rođenja ili brojeve naređenja i odluka, ni išta što "
        "upućuje na domaćinstvo; o osobama samo po ulozi."
    ),
    "reassessment_requested": "Da, ako je zbog kršenja zatražena nova procena rizika.",
    "recent_or_intended_separation": (
        "Žrtva je nedavno napustila vezu ili namerava da je napusti (poznato razdoblje visokog "
        "rizika)."
    ),
    "recent_violence": "Nasilje je izvršeno neposredno pre procene (ZSNP čl. 16 st. 2).",
    "recipients": (
        "Oznake ustanova na koje se pristanak (ili povlačenje) odnosi, npr. „ngo.azc”, "
        "„csr.lazarevac”; kod povlačenja prazno znači sve primaoce."
    ),
    "referral_id": (
        "Oznaka uputa: novog, ili onog na koji se događaj odnosi ili preko kog je mera, odnosno "
        "usluga, sprovedena."
    ),
    "relationship": (
        "Odnos mogućeg učinioca prema žrtvi (ZSNP čl. 3 st. 3 određuje ko se smatra članom "
        "porodice)."
    ),
    "reopened_at": "Kada je slučaj ponovo otvoren (UTC).",
    "report_channel": "Kako se saznalo za nasilje (ZSNP čl. 13).",
    "report_id": (
        "Oznaka prijave (kod otvaranja slučaja, prve prijave; kasnije prijave stižu kao „Primljena "
        "prijava”)."
    ),
    "reported_by": "Kategorija podnosioca prijave (nikad ime).",
    "resource": (
        "Šta je pročitano, kao naziv resursa, npr. „case-timeline”, „subject-identity”, "
        "„referral”, „protection-plan”. Nikad ne sadrži lične podatke."
    ),
    "restricted_subject_ids": "Osobe koje mera zaštite ograničava.",
    "review_due_at": (
        "Kada plan treba ponovo razmotriti (UTC); grupa se sastaje najmanje svakih 15 dana (ZSNP "
        "čl. 25 st. 3)."
    ),
    "revoked_at": "Kada je uput povučen (UTC).",
    "risk_assessment_id": (
        "Oznaka procene rizika kojom je utvrđena neposredna opasnost (ZSNP čl. 17 je zahteva)."
    ),
    "role": (
        "Uloga osobe u slučaju ili u ovom događaju nasilja (uloge se mogu razlikovati između "
        "događaja istog slučaja)."
    ),
    "scheduled_for": "Planirani početak sastanka (UTC).",
    "scope": (
        "Obuhvat: na šta se pristanak (ili povlačenje) odnosi, na šta se strane sporazuma "
        "obavezuju, ili domet medija po teritoriji."
    ),
    "seminar": "Za seminar: program i trajanje; inače prazno.",
    "served_at": "Kada je naređenje uručeno (UTC); od tog trenutka teku zakonski rokovi.",
    "service": "Šta je uspostavljeno.",
    "service_id": "Oznaka ovog zapisa o usluzi (da bi ispravke mogle da se pozovu na njega).",
    "service_type": (
        "Vrsta usluge: tražene, pružene ili one kojom se mera plana sprovodi; prazno za mere plana "
        "koje nisu usluga (npr. predlog za meru zaštite)."
    ),
    "sex": (
        "Pol osobe ili učesnika, za statistiku (evidencije po ZSNP čl. 32); „Nepoznato” ako nije "
        "zabeležen."
    ),
    "signed_on": "Dan kada je poslednja strana potpisala.",
    "stage": "Koji je ovo korak postupka.",
    "statutory_basis": (
        "Zakon na koji se uput oslanja kada je osnov zakonski (npr. Zakon o sprečavanju nasilja u "
        "porodici)."
    ),
    "strangulation_or_choking": "Bilo je davljenja ili gušenja.",
    "subject_id": (
        "Osoba na koju se događaj odnosi, po neprozirnoj oznaci (nasumičan UUID bez ličnog "
        "značenja) dodeljenoj pri registraciji; pri registraciji, nova oznaka. Kod uvida, prazno "
        "ako se uvid odnosio na ceo slučaj."
    ),
    "subject_ids": "Osobe koje se upućuju.",
    "subjects": (
        "Već registrovane osobe na koje se prijava odnosi, svaka sa svojom ulogom u ovom događaju."
    ),
    "substance_abuse": (
        "Mogući učinilac zloupotrebljava alkohol ili druge psihoaktivne supstance (ZSNP čl. 16 st. "
        "2)."
    ),
    "suggested_institution": "Oznaka ustanove koju primalac predlaže umesto sebe, ako postoji.",
    "supersedes_plan_id": "Oznaka plana koji ovaj menja, ako postoji.",
    "supported_by": (
        "Oznake registrovanih ustanova koje su podržale ili finansirale uslugu (npr. „ngo.azc”)."
    ),
    "threats_of_suicide": "Mogući učinilac je pretio samoubistvom (ZSNP čl. 16 st. 2).",
    "threats_to_kill": "Mogući učinilac je pretio ubistvom (ZSNP čl. 16 st. 2).",
    "to_institution": "Oznaka ustanove primaoca uputa, npr. „ngo.azc”.",
    "topic": "O čemu je bilo reči.",
    "unit": "Jedinica količine.",
    "urgency": (
        "Hitnost; određuje podrazumevani rok za odgovor: P1 24 sata, P2 72 sata, P3 5 radnih dana."
    ),
    "valid_from": (
        "Prvi kalendarski dan važenja mere (datum odluke suda ili datum koji ona odredi)."
    ),
    "valid_until": (
        "Do kada važi: pristanak do povlačenja ako je prazno; mera zaštite do poslednjeg dana "
        "(uključivo), najviše godinu dana od početka (Porodični zakon čl. 198 st. 3)."
    ),
    "victim_fears": "Žrtva se plaši (ZSNP čl. 16 st. 2).",
    "victim_invited": (
        "Da, ako je žrtva pozvana; ona učestvuje u izradi svog plana ako želi i ako joj emotivno i "
        "fizičko stanje to dozvoljava (ZSNP čl. 31 st. 2)."
    ),
    "victim_isolation_or_dependence": (
        "Žrtva je izolovana ili ekonomski ili na drugi način zavisna od mogućeg učinioca."
    ),
    "victim_participated": (
        "Da, ako je žrtva učestvovala (na sastanku, odnosno u izradi plana; ZSNP čl. 31 st. 2)."
    ),
    "victim_perceived_risk": (
        "Kako sama žrtva procenjuje rizik od nasilja; ZSNP čl. 16 st. 2 nalaže da se to uzme u "
        "obzir."
    ),
    "victim_pregnant": "Žrtva je trudna.",
    "victim_subject_id": "Žrtva čiji je ovo individualni plan.",
    "victim_subject_ids": "Žrtve na koje se rizik odnosi.",
    "violence_against_children": "Nasilje je bilo usmereno i na decu.",
    "violence_types": (
        "Prijavljeni oblici nasilja: fizičko, seksualno, psihičko, ekonomsko (ZSNP čl. 3 st. 3), "
        "proganjanje (čl. 4; Krivični zakonik čl. 138a). Može ih biti više; prazno ako još nije "
        "poznato ili se prijava odnosi samo na pretnju."
    ),
    "weapon_possession": (
        "Mogući učinilac poseduje oružje ili ima pristup oružju (ZSNP čl. 16 st. 2)."
    ),
    "withdrawn_at": "Kada je pristanak povučen (UTC); važi od tog trenutka.",
}
