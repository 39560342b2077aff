"""Synthetic people for simulations: names, JMBG with a valid check digit, addresses, phones.

Nothing here belongs to a real person; it is generated from a seeded ``random.Random`` so a
simulation is repeatable. Tests use these identifiers as needles: none may ever be found outside
the sealed field of ``SubjectRegistered``.
"""

from __future__ import annotations

import datetime as dt
import random

from services.platform.vault import PersonalData

FEMALE_NAMES = (
    "Milica", "Jelena", "Ana", "Marija", "Jovana", "Dragana", "Snežana", "Ivana", "Gordana",
    "Vesna", "Tijana", "Nevena", "Biljana", "Zorica", "Ljiljana", "Mirjana", "Danijela", "Sanja",
)  # fmt: skip
MALE_NAMES = (
    "Marko", "Nikola", "Stefan", "Dragan", "Zoran", "Milan", "Goran", "Nenad", "Dejan",
    "Aleksandar", "Miloš", "Vladimir", "Srđan", "Bojan", "Predrag", "Željko", "Slobodan", "Ivan",
)  # fmt: skip
SURNAMES = (
    "Jovanović", "Petrović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić", "Stanković",
    "Pavlović", "Milošević", "Todorović", "Đukić", "Kostić", "Ristić", "Lazić", "Vasić", "Simić",
    "Tomić", "Obradović", "Radovanović", "Mitrović", "Živković", "Savić", "Popović",
)  # fmt: skip
STREETS = (
    "Karađorđeva", "Njegoševa", "Cara Dušana", "Vojvode Stepe", "Kneza Miloša", "Nemanjina",
    "Svetog Save", "Kralja Petra", "Bulevar oslobođenja", "Ustanička", "Vuka Karadžića",
)  # fmt: skip
# JMBG political-region digits of the birth registration (71 Belgrade, 72 Šumadija and
# Pomoravlje, 76 Podunavlje and Braničevo, 77 Podrinje and Kolubara).
REGION_CODES = {
    "lazarevac": 71, "palilula": 71, "zvezdara": 71, "vozdovac": 71, "kragujevac": 72,
    "cuprija": 72, "golubac": 76, "smederevska-palanka": 76, "loznica": 77,
}  # fmt: skip
_WEIGHTS = (7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def jmbg_check_digit(first_twelve: str) -> int:
    """The 13th digit of a JMBG (modulo 11 over weights 7..2, twice); 10 and 11 become 0."""
    remainder = sum(int(d) * w for d, w in zip(first_twelve, _WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    return 0 if check > 9 else check


def jmbg_is_valid(jmbg: str) -> bool:
    return len(jmbg) == 13 and jmbg.isdigit() and jmbg_check_digit(jmbg[:12]) == int(jmbg[12])


def jmbg(birth_date: dt.date, female: bool, region: int, serial: int) -> str:
    """A JMBG: DDMMYYY, region, a serial (000-499 male, 500-999 female), check digit."""
    number = 500 + serial % 500 if female else serial % 500
    first = f"{birth_date:%d%m}{birth_date.year % 1000:03d}{region:02d}{number:03d}"
    return first + str(jmbg_check_digit(first))


def synthetic_person(
    rng: random.Random, *, female: bool, birth_year: int, municipality: str
) -> PersonalData:
    """A made-up person living in ``municipality``, born in ``birth_year``."""
    birth_date = dt.date(birth_year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    street = f"{rng.choice(STREETS)} {rng.randrange(1, 180)}"
    return PersonalData(
        given_name=rng.choice(FEMALE_NAMES if female else MALE_NAMES),
        family_name=rng.choice(SURNAMES),
        jmbg=jmbg(birth_date, female, REGION_CODES.get(municipality, 71), rng.randrange(1000)),
        birth_date=birth_date,
        address=f"{street}, {municipality.replace('-', ' ').title()}",
        phone=f"+381 6{rng.randrange(10)} {rng.randrange(1000, 9999)} {rng.randrange(100, 999)}",
    )
