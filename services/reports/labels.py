"""The programme report's words in Serbian (Latin script) and English.

The JSON keeps the schema's symbols (what a machine reads); Markdown, HTML and PDF show these.
A symbol without a label here is shown as it is, so a new symbol is never hidden.
"""

from __future__ import annotations

LANGUAGES = ("sr", "en")

_WORDS: dict[str, tuple[str, str]] = {
    # headings and captions
    "title": ("Program koordinirane akcije – izveštaj", "Coordinated-action programme – report"),
    "period": ("Period", "Period"),
    "everywhere": ("sve opštine", "every municipality"),
    "municipality": ("Opština", "Municipality"),
    "activities": ("Aktivnosti", "Activities"),
    "activities_by_kind": ("Aktivnosti po vrsti", "Activities by kind"),
    "activities_by_topic": ("Aktivnosti po vrsti i temi", "Activities by kind and topic"),
    "seminars_by_programme": ("Seminari po programu", "Seminars by programme"),
    "activities_by_municipality": ("Aktivnosti po opštini", "Activities by municipality"),
    "activities_by_quarter": ("Aktivnosti po tromesečju", "Activities by quarter"),
    "municipalities_reached": ("Opštine obuhvaćene", "Municipalities reached"),
    "participants": ("Učesnici po vrsti institucije", "Participants by kind of institution"),
    "no_participants": ("Broj učesnika nije zabeležen.", "No participants were recorded."),
    "agreements": ("Sporazumi o saradnji na snazi", "Cooperation agreements in force"),
    "services": ("Uspostavljene usluge", "Services established"),
    "cases": (
        "Pokazatelji slučajeva (ista mesta i period)",
        "Case indicators (same places and period)",
    ),
    "cases_note": (
        "Vrednosti ispod praga ({t}) i ćelije koje bi ih otkrile prikazane su kao „x“.",
        'Values below the threshold ({t}), and cells that would give them away, are shown as "x".',
    ),
    "pooled": (
        "Slučajevi male opštine broje se u okrugu: {area}.",
        "A small municipality's cases are counted in its district pool: {area}.",
    ),
    "no_cases": (
        "Nema objavljenih vrednosti za ovaj period.",
        "No value is released for this period.",
    ),
    "kind": ("Vrsta", "Kind"),
    "topic": ("Tema", "Topic"),
    "programme": ("Program", "Programme"),
    "count": ("Broj", "Count"),
    "quarter": ("Tromesečje", "Quarter"),
    "institution_kind": ("Vrsta institucije", "Kind of institution"),
    "sex": ("Pol", "Sex"),
    "party_kind": ("Vrsta potpisnika", "Kind of party"),
    "service": ("Usluga", "Service"),
    "law_offices": ("Advokatskih kancelarija", "Law offices"),
    "indicator": ("Pokazatelj", "Indicator"),
    "month": ("Mesec", "Month"),
    "total": ("Ukupno", "Total"),
    "period_total": ("Za period", "For the period"),
    "in_force": ("Na snazi", "In force"),
    "regional": ("regionalno", "regional"),
    "nothing": ("Ništa nije zabeleženo.", "Nothing was recorded."),
    "reach": ("Doseg", "Reach"),
    "media": ("Nastupi u medijima", "Media appearances"),
    "scope": ("Domet", "Scope"),
    "medium": ("Medij", "Medium"),
    # activity kinds
    "CONSULTATIVE_MEETING": ("Konsultativni sastanak", "Consultative meeting"),
    "SEMINAR": ("Seminar", "Seminar"),
    "PROFESSIONAL_MEETING": ("Stručni sastanak", "Professional meeting"),
    "CAMPAIGN_ACTION": ("Akcija kampanje", "Campaign action"),
    "TRIBUNE_OR_LECTURE": ("Tribina ili predavanje", "Tribune or lecture"),
    "MEDIA_APPEARANCE": ("Nastup u medijima", "Media appearance"),
    "OTHER": ("Ostalo", "Other"),
    # topics
    "LOCAL_ACTIVITY_PLANNING": ("Planiranje lokalnih aktivnosti", "Planning local activities"),
    "DOMESTIC_VIOLENCE_AND_INSTITUTIONAL_PROTECTION": (
        "Nasilje u porodici i institucionalna zaštita",
        "Domestic violence and institutional protection",
    ),
    "COORDINATED_LOCAL_ACTION": (
        "Koordinirana akcija lokalne zajednice",
        "Coordinated action of the local community",
    ),
    "WORK_WITH_VICTIMS": ("Rad sa žrtvama nasilja", "Work with victims"),
    "CASE_CONFERENCES": ("Konferencije slučaja", "Case conferences"),
    "WORK_WITH_PERPETRATORS": ("Rad sa nasilnicima u CSR", "Work with perpetrators in the CSR"),
    "SELF_HELP_GROUPS": ("Grupe samopomoći", "Self-help groups"),
    "PROFESSIONAL_STRESS": (
        "Prevladavanje profesionalnog stresa",
        "Overcoming professional stress",
    ),
    "PROTECTION_IN_EDUCATION": ("Zaštita u obrazovanju", "Protection in education"),
    "COOPERATION_MODEL_PRESENTATION": (
        "Prezentacija modela saradnje",
        "Presenting the cooperation model",
    ),
    "PROGRAMME_PARTNERS_MEETING": (
        "Zajednički sastanak svih partnera",
        "Joint meeting of every partner",
    ),
    "COUNCIL_OF_EUROPE_CAMPAIGN": ("Kampanja Saveta Evrope", "Council of Europe campaign"),
    "VIOLENCE_PREVENTION_AWARENESS": ("Prevencija nasilja", "Violence prevention awareness"),
    "PROGRAMME_AND_LOCAL_INITIATIVES": (
        "Program i lokalne inicijative",
        "The programme and local initiatives",
    ),
    # seminar programmes
    "BASIC": ("Bazični (dvodnevni)", "Basic (two-day)"),
    "COORDINATED_ACTION": ("Koordinirana akcija (jednodnevni)", "Coordinated action (one-day)"),
    "ELECTIVE": ("Izborni (jednodnevni)", "Elective (one-day)"),
    # institution kinds
    "CSR": ("Centar za socijalni rad", "Centre for social work"),
    "POLICE": ("Policija", "Police"),
    "PROSECUTOR": ("Tužilaštvo", "Prosecutor"),
    "COURT": ("Sud", "Court"),
    "HEALTH": ("Zdravstvo", "Health"),
    "SCHOOL": ("Obrazovanje", "Education"),
    "LEGAL_AID": ("Pravna pomoć", "Legal aid"),
    "MOBILE_TEAM": ("Mobilni tim", "Mobile team"),
    "NGO": ("Udruženje", "NGO"),
    "LOCAL_GOVERNMENT": ("Lokalna samouprava", "Local government"),
    "PUBLIC": ("Građani", "Members of the public"),
    # sexes
    "FEMALE": ("Žene", "Women"),
    "MALE": ("Muškarci", "Men"),
    "UNKNOWN": ("Nepoznato", "Unknown"),
    # services
    "CASE_REGISTER": ("Evidencija slučajeva u CSR", "Case register in the CSR"),
    "LEGAL_AID_AGREEMENT": (
        "Sporazum sa advokatskim kancelarijama",
        "Agreement with law offices",
    ),
    "FREE_LEGAL_AID": ("Besplatna pravna pomoć", "Free legal aid"),
    "SOS_LINE": ("SOS linija", "SOS line"),
    "SHELTER": ("Sklonište", "Shelter"),
    "COUNSELLING": ("Savetovalište", "Counselling"),
    # case indicators
    "reported_cases": ("Prijavljeni slučajevi", "Reported cases"),
    "referrals_sent": ("Poslata upućivanja", "Referrals sent"),
    "urgent_measure_rate": (
        "Udeo slučajeva sa hitnom merom",
        "Share of cases with an urgent measure",
    ),
    "plan_coverage": ("Udeo slučajeva sa planom zaštite", "Share of cases with a protection plan"),
    # outlets
    "LOCAL": ("Lokalni", "Local"),
    "REGIONAL": ("Regionalni", "Regional"),
    "NATIONAL": ("Nacionalni", "National"),
    "TELEVISION": ("Televizija", "Television"),
    "RADIO": ("Radio", "Radio"),
    "PRINT": ("Štampa", "Print"),
    "ONLINE": ("Internet", "Online"),
}


def word(key: str | None, lang: str) -> str:
    """``key`` in ``lang`` (``sr`` or ``en``); an unknown key is shown as it is."""
    if key is None:
        return "–"
    found = _WORDS.get(key)
    return found[LANGUAGES.index(lang)] if found else key
