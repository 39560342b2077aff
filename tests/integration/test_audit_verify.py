"""The archive names the exact record where its history was edited, deleted, inserted or forged.

Every test edits a copy of one real archive file with plain SQL, as someone with access to the
database (but not to the signing key) could, and runs ``povezimo audit verify`` on it.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from consumers.archive import GENESIS, chain_hash, record_bytes
from producers.scenario import coordinated_script
from services.cli.main import app
from services.platform.signing import public_pem
from tests.support.audit import START, audit_platform, run_scenario
from tests.support.pipeline import pipeline_of, submit

CHECKPOINT_EVERY = 5


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("audit") / "data"
    run_scenario(data_dir, cases=2, checkpoint_every=CHECKPOINT_EVERY)
    return data_dir


@pytest.fixture
def data_dir(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(pristine, copy)
    return copy


@pytest.fixture
def archive(data_dir: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(data_dir / "archive.db", isolation_level=None)
    yield conn
    conn.close()


def verify(data_dir: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", "--data-dir", str(data_dir), *extra])
    return result.exit_code, result.output.strip()


def rows(conn: sqlite3.Connection) -> list[tuple]:  # type: ignore[type-arg]
    return conn.execute(
        "SELECT seq, topic, partition, offset, timestamp_ms, key, value, headers, hash "
        "FROM archive_records ORDER BY seq"
    ).fetchall()


def rechain(conn: sqlite3.Connection, from_seq: int) -> None:
    """What a careful forger does: recompute every hash from ``from_seq`` on."""
    previous = GENESIS
    for seq, topic, partition, offset, ts, key, value, headers, stored in rows(conn):
        if seq >= from_seq:
            stored = chain_hash(
                previous, record_bytes(topic, partition, offset, ts, key, value, headers)
            )
            conn.execute("UPDATE archive_records SET hash = ? WHERE seq = ?", (stored, seq))
        previous = stored


def test_an_untouched_archive_verifies_against_its_key_and_the_bus(data_dir: Path) -> None:
    code, output = verify(data_dir)
    assert code == 0, output
    assert output.startswith("archive intact: 32 records")
    assert "bus: 32 equal, 0 no longer on the bus, 0 not archived yet" in output
    assert len(output.splitlines()) == 1


def test_the_archive_verifies_against_either_bus_engine(
    pipeline_bus_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "engine"
    platform = audit_platform(data_dir, bus_url=pipeline_bus_url)
    script = coordinated_script(random.Random(3), START, "lazarevac", platform.vault)
    # The police's own events: one topic, one partition, so one batch keeps them in order.
    police = [s for s in script.submissions[:6] if s.institution == script.police]
    assert len(police) == 6
    submit(platform, police)
    pipeline = pipeline_of(platform)
    pipeline.drain()
    pipeline.close()
    platform.close()
    code, output = verify(data_dir, "--bus", pipeline_bus_url)
    assert code == 0, output
    assert output.startswith("archive intact: 6 records")
    assert "bus: 6 equal" in output


def test_a_third_party_verifies_with_the_exported_public_key_alone(
    data_dir: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "archive.pub"
    result = CliRunner().invoke(
        app, ["audit", "public-key", "--data-dir", str(data_dir), "-o", str(exported)]
    )
    assert result.exit_code == 0, result.output
    assert b"BEGIN PUBLIC KEY" in exported.read_bytes()
    (data_dir / "keys" / "archive-signing.key").unlink()
    code, output = verify(data_dir, "--public-key", str(exported), "--no-bus")
    assert code == 0, output
    assert output.startswith("archive intact: 32 records")

    stranger = tmp_path / "stranger.pub"
    stranger.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    code, output = verify(data_dir, "--public-key", str(stranger), "--no-bus")
    assert code == 1
    assert "[other_signer]" in output


def test_without_any_key_verify_says_what_to_pass(data_dir: Path) -> None:
    (data_dir / "keys" / "archive-signing.key").unlink()
    code, output = verify(data_dir)
    assert code == 1
    assert "error: signing_key:" in output and "--public-key" in output


def test_one_changed_byte_is_named_by_its_record(
    archive: sqlite3.Connection, data_dir: Path
) -> None:
    (value,) = archive.execute("SELECT value FROM archive_records WHERE seq = 7").fetchone()
    changed = bytearray(value)
    changed[len(changed) // 2] ^= 0x01
    archive.execute("UPDATE archive_records SET value = ? WHERE seq = 7", (bytes(changed),))
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith("BROKEN at record #7 [chain_broken]")


def test_a_changed_byte_with_every_hash_recomputed_breaks_the_next_signed_checkpoint(
    archive: sqlite3.Connection, data_dir: Path
) -> None:
    (value,) = archive.execute("SELECT value FROM archive_records WHERE seq = 7").fetchone()
    archive.execute("UPDATE archive_records SET value = ? WHERE seq = 7", (value[:-1] + b"\x00",))
    rechain(archive, 7)
    (checkpoint,) = archive.execute(
        "SELECT min(seq) FROM archive_checkpoints WHERE seq >= 7"
    ).fetchone()
    (before,) = archive.execute(
        "SELECT coalesce(max(seq), 0) FROM archive_checkpoints WHERE seq < 7"
    ).fetchone()
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith(f"BROKEN at record #{checkpoint} [checkpoint_mismatch]")
    assert f"records #{before + 1}..#{checkpoint} were rewritten" in output


def test_a_deleted_row_is_named(archive: sqlite3.Connection, data_dir: Path) -> None:
    archive.execute("DELETE FROM archive_records WHERE seq = 12")
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith("BROKEN at record #12 [missing]")


def test_a_deleted_row_with_the_rest_renumbered_is_named(
    archive: sqlite3.Connection, data_dir: Path
) -> None:
    archive.execute("DELETE FROM archive_records WHERE seq = 12")
    archive.execute("UPDATE archive_records SET seq = -(seq - 1) WHERE seq > 12")
    archive.execute("UPDATE archive_records SET seq = -seq WHERE seq < 0")
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith("BROKEN at record #12 [chain_broken]")


def test_an_inserted_row_is_named(archive: sqlite3.Connection, data_dir: Path) -> None:
    # Make room at #9 and copy record #3 there (a real event, a plausible position).
    archive.execute("UPDATE archive_records SET seq = -(seq + 1) WHERE seq >= 9")
    archive.execute("UPDATE archive_records SET seq = -seq WHERE seq < 0")
    archive.execute(
        "INSERT INTO archive_records (seq, topic, partition, offset, timestamp_ms, key, value, "
        "headers, hash) SELECT 9, topic, partition, offset + 1000, timestamp_ms, key, value, "
        "headers, hash FROM archive_records WHERE seq = 3"
    )
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith("BROKEN at record #9 [chain_broken]")


def test_a_row_appended_with_a_correct_hash_is_not_covered_by_a_signature(
    archive: sqlite3.Connection, data_dir: Path
) -> None:
    last = rows(archive)[-1]
    seq, topic, partition, offset, ts, key, value, headers, previous = last
    forged = chain_hash(
        previous, record_bytes(topic, partition, offset + 1, ts, key, value, headers)
    )
    archive.execute(
        "INSERT INTO archive_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq + 1, topic, partition, offset + 1, ts, key, value, headers, forged),
    )
    code, output = verify(data_dir, "--no-bus")
    assert code == 1
    assert output.startswith(f"BROKEN at record #{seq + 1} [unsigned_tail]")


def test_two_swapped_rows_are_named_by_the_first(
    archive: sqlite3.Connection, data_dir: Path
) -> None:
    archive.execute("UPDATE archive_records SET seq = -1 WHERE seq = 20")
    archive.execute("UPDATE archive_records SET seq = 20 WHERE seq = 21")
    archive.execute("UPDATE archive_records SET seq = 21 WHERE seq = -1")
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith("BROKEN at record #20 [chain_broken]")


def test_a_replaced_checkpoint_signature_is_named(
    archive: sqlite3.Connection, data_dir: Path
) -> None:
    checkpoints = archive.execute(
        "SELECT seq, signature FROM archive_checkpoints ORDER BY seq"
    ).fetchall()
    (target, _), (_, other) = checkpoints[2], checkpoints[3]
    archive.execute("UPDATE archive_checkpoints SET signature = ? WHERE seq = ?", (other, target))
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith(f"BROKEN at record #{target} [bad_signature]")


def test_a_checkpoint_with_a_forged_head_and_a_self_made_signature_is_refused(
    archive: sqlite3.Connection, data_dir: Path
) -> None:
    (target,) = archive.execute("SELECT max(seq) FROM archive_checkpoints").fetchone()
    forger = Ed25519PrivateKey.generate()
    archive.execute(
        "UPDATE archive_checkpoints SET head_hash = ?, signature = ? WHERE seq = ?",
        (bytes(32), forger.sign(b"anything"), target),
    )
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith(f"BROKEN at record #{target} [bad_signature]")


def test_rows_deleted_from_the_end_are_found(archive: sqlite3.Connection, data_dir: Path) -> None:
    archive.execute("DELETE FROM archive_records WHERE seq > 30")
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith("BROKEN at record #31 [truncated]")


def test_a_record_changed_on_the_bus_differs_from_its_archived_copy(data_dir: Path) -> None:
    bus = sqlite3.connect(data_dir / "bus.db", isolation_level=None)
    where = (
        "WHERE topic = 'case-events' AND offset = 2 AND partition = "
        "(SELECT min(partition) FROM bus_records WHERE topic = 'case-events')"
    )
    (value,) = bus.execute(f"SELECT value FROM bus_records {where}").fetchone()
    bus.execute(f"UPDATE bus_records SET value = ? {where}", (value + b"\x00",))
    bus.close()
    code, output = verify(data_dir)
    assert code == 1
    assert output.startswith("BUS MISMATCH: case-events/")
    assert "@2 differs between the bus and the archive" in output


def test_the_archive_keeps_its_offsets_in_its_own_database(pristine: Path) -> None:
    archive = sqlite3.connect(pristine / "archive.db")
    views = sqlite3.connect(pristine / "views.db")
    stored = archive.execute(
        "SELECT topic, sum(next_offset) FROM projection_offsets WHERE projection = 'archive' "
        "GROUP BY topic"
    ).fetchall()
    elsewhere = views.execute(
        "SELECT count(*) FROM projection_offsets WHERE projection = 'archive'"
    ).fetchone()
    archived = archive.execute("SELECT count(*) FROM archive_records").fetchone()
    archive.close()
    views.close()
    assert stored == [("case-events", 32)] and archived == (32,)
    assert elsewhere == (0,)
