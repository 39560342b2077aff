"""The key vault seals identifiers per subject; destroying a key erases the person for good."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from pathlib import Path

import pytest

from producers.identities import jmbg, jmbg_check_digit, jmbg_is_valid, synthetic_person
from services.platform.sql import sql_engine
from services.platform.vault import KeyVault, PersonalData, VaultError, sealed_off


@pytest.fixture
def vault(tmp_path: Path) -> KeyVault:
    return KeyVault(sql_engine(f"sqlite:///{tmp_path / 'vault.db'}"))


def person(seed: int = 1) -> PersonalData:
    return synthetic_person(
        random.Random(seed), female=True, birth_year=1980, municipality="golubac"
    )


def test_sealed_identifiers_open_only_for_their_subject(vault: KeyVault) -> None:
    subject, other = uuid.uuid4(), uuid.uuid4()
    sealed = vault.seal(subject, person())
    assert vault.unseal(subject, sealed) == person()
    assert not any(v.encode() in sealed["ciphertext"] for v in person().identifiers())
    vault.seal(other, person(2))
    with pytest.raises(VaultError, match="does not authenticate"):
        vault.unseal(other, sealed)


def test_a_subject_keeps_one_key_and_every_seal_a_fresh_nonce(vault: KeyVault) -> None:
    subject = uuid.uuid4()
    first, second = vault.seal(subject, person()), vault.seal(subject, person())
    assert first["key_id"] == second["key_id"] == vault.key_id_of(subject)
    assert first["nonce"] != second["nonce"]


def test_destroying_the_key_erases_the_subject_and_leaves_no_key_on_disk(
    vault: KeyVault, tmp_path: Path
) -> None:
    subject = uuid.uuid4()
    sealed = vault.seal(subject, person())
    with vault.engine.connect() as conn:
        key = conn.exec_driver_sql("SELECT data_key FROM vault_keys").scalar_one()
    assert vault.destroy(subject) == sealed["key_id"]
    assert vault.unseal(subject, sealed) is None
    assert vault.destroy(subject) is None
    vault.engine.dispose()
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("vault.db*"))
    assert key not in on_disk


def test_sealed_off_records_cannot_be_opened_by_any_vault(vault: KeyVault) -> None:
    subject = uuid.uuid4()
    sealed = sealed_off(subject, person())
    assert vault.unseal(subject, sealed) is None


def test_synthetic_jmbg_carries_a_valid_check_digit_and_the_birth_date() -> None:
    rng = random.Random(7)
    for _ in range(500):
        someone = synthetic_person(
            rng, female=rng.random() < 0.5, birth_year=rng.randrange(1940, 2010),
            municipality="kragujevac",
        )  # fmt: skip
        assert someone.jmbg and jmbg_is_valid(someone.jmbg)
        assert someone.birth_date and someone.jmbg[:4] == f"{someone.birth_date:%d%m}"
        assert someone.jmbg[7:9] == "72"


def test_jmbg_check_digit_and_sex_ranges() -> None:
    # By hand: 0·7+1·6+0·5+1·4+9·3+9·2+0·7+7·6+1·5+0·4+0·3+0·2 = 102; 102 mod 11 = 3; 11-3 = 8.
    assert jmbg_check_digit("010199071000") == 8
    assert jmbg_is_valid("0101990710008") and not jmbg_is_valid("0101990710007")
    female = jmbg(dt.date(1990, 1, 1), True, 71, 3)
    male = jmbg(dt.date(1990, 1, 1), False, 71, 3)
    assert int(female[9:12]) >= 500 > int(male[9:12])
    assert not jmbg_is_valid(female[:12] + str((int(female[12]) + 1) % 10))


def test_seals_in_one_transaction_share_keys_and_commit_only_when_it_ends(
    vault: KeyVault, tmp_path: Path
) -> None:
    subject, lost = uuid.uuid4(), uuid.uuid4()
    another_process = KeyVault(sql_engine(f"sqlite:///{tmp_path / 'vault.db'}"))
    with vault.one_transaction():
        first, second = vault.seal(subject, person()), vault.seal(subject, person())
        assert first["key_id"] == second["key_id"]
    assert another_process.unseal(subject, first) == person()

    with pytest.raises(RuntimeError), vault.one_transaction():
        sealed = vault.seal(lost, person(2))
        raise RuntimeError("the simulation failed before publishing anything")
    assert vault.unseal(lost, sealed) is None  # its key was never kept
    assert vault.unseal(subject, vault.seal(subject, person())) == person()  # outside: as before
