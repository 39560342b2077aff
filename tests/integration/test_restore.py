"""`povezimo restore` on the embedded bus: the log file lost, the platform's stores intact.

Scripted cases run through every projection; the bus file is deleted (as a broker that restarts
empty loses its topics); `povezimo restore` writes the archived records back and resets the
offsets; `povezimo run --until-idle` brings the views, the inboxes and the archive to where they
were; `povezimo audit verify` finds the archive equal to the restored log record by record.
"""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from services.bus import open_bus
from services.cli.main import app
from tests.reliability.support import comparable, read_all
from tests.support.audit import audit_platform, run_scenario

INBOXES = re.compile(r"inbox\..+")


def povezimo(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_a_lost_embedded_log_is_restored_from_the_archive(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run_scenario(data_dir, cases=2)
    platform = audit_platform(data_dir)
    before = comparable(platform)
    pushed = sorted((r.topic, r.partition, r.offset, r.value) for r in read_all(platform, INBOXES))
    case_events = len(read_all(platform, ["case-events"]))
    platform.close()
    (data_dir / "bus.db").unlink()

    code, output = povezimo("restore", "--data-dir", str(data_dir))
    assert code == 0, output
    assert f"case-events: {case_events} records written back from the archive" in output
    assert "appended again when resent: 0" in output
    code, output = povezimo("restore", "--data-dir", str(data_dir))
    assert code == 1 and "already holds" in output  # never twice into the same log

    code, output = povezimo("run", "--until-idle", "--data-dir", str(data_dir))
    assert code == 0, output
    platform = audit_platform(data_dir)
    assert comparable(platform) == before
    # The inboxes were rebuilt: every push is on the bus again, at the same place.
    again = sorted((r.topic, r.partition, r.offset, r.value) for r in read_all(platform, INBOXES))
    assert again == pushed and pushed
    platform.close()
    code, output = povezimo("audit", "verify", "--data-dir", str(data_dir))
    assert code == 0, output
    assert f"bus: {case_events} equal, 0 no longer on the bus, 0 not archived yet" in output


def test_a_topic_created_with_another_partition_count_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run_scenario(data_dir, cases=1)
    (data_dir / "bus.db").unlink()
    # Created before the restore could, as a broker does for a client that names a missing topic.
    bus = open_bus(f"sqlite:///{data_dir / 'bus.db'}")
    bus.create_topic("case-events", partitions=4)
    bus.close()

    code, output = povezimo("restore", "--data-dir", str(data_dir))
    assert code == 1
    assert "would land on another partition" in output and "(now 4)" in output
    platform = audit_platform(data_dir)
    assert read_all(platform, ["case-events"]) == []  # nothing written
    platform.close()
