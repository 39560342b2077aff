"""Staff accounts from the command line: added with a password read from standard input and
kept only as an Argon2 hash, listed without it, disabled; refused for an institution that is
not in the registry (saying where the valid ones are), a short password or a taken name."""

from __future__ import annotations

import datetime as dt
import sqlite3

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from services.api.app import create_app
from services.api.portal.accounts import LOCK_WINDOW, StaffStore, failures_table
from services.api.portal.sessions import IDLE, LONGEST, SessionStore, sessions_table
from services.bootstrap import Platform
from services.cli.main import app as cli
from tests.api.world import NGO, NOW

runner = CliRunner()
PASSWORD = "correct horse battery staple"


def data_dir_of(platform: Platform) -> str:
    """The platform's data directory, holding its registry as every started platform does."""
    assert platform.institutions.get(NGO) is not None
    return str(platform.settings.data_dir)


def test_an_account_is_added_listed_and_disabled_and_its_password_stays_a_hash(
    platform: Platform,
) -> None:
    data = data_dir_of(platform)
    added = runner.invoke(
        cli,
        ["users", "add", "ana.petrovic", "--institution", NGO, "--role", "ngo-counsellor",
         "--password-stdin", "--data-dir", data],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "added ana.petrovic (NGO_COUNSELLOR of ngo.azc)" in added.output

    stored = sqlite3.connect(platform.settings.data_dir / "views.db").execute(
        "SELECT username, password_hash, institution, role FROM portal_staff"
    )
    [(username, hashed, institution, role)] = stored.fetchall()
    assert (username, institution, role) == ("ana.petrovic", NGO, "NGO_COUNSELLOR")
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    dump = b"".join(p.read_bytes() for p in platform.settings.data_dir.glob("views.db*"))
    assert PASSWORD.encode() not in dump

    listed = runner.invoke(cli, ["users", "list", "--data-dir", data])
    assert listed.exit_code == 0 and "ana.petrovic" in listed.output and NGO in listed.output
    assert "$argon2" not in listed.output

    store = StaffStore(platform.views_engine)
    assert store.sign_in("ana.petrovic", PASSWORD, now=NOW) is not None
    disabled = runner.invoke(cli, ["users", "disable", "ana.petrovic", "--data-dir", data])
    assert disabled.exit_code == 0, disabled.output
    assert store.sign_in("ana.petrovic", PASSWORD, now=NOW) is None
    with TestClient(create_app(platform)) as client:
        form = client.get("/portal")
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        refused = client.post(
            "/portal/login",
            data={"username": "ana.petrovic", "password": PASSWORD, "csrf": csrf},
        )
    assert refused.status_code == 401
    listed = runner.invoke(cli, ["users", "list", "--data-dir", data])
    assert listed.output.count("ana.petrovic") == 1


def test_accounts_are_refused_for_what_cannot_sign_in(platform: Platform) -> None:
    data = data_dir_of(platform)

    def add(*args: str, password: str = PASSWORD) -> tuple[int, str]:
        done = runner.invoke(
            cli, ["users", "add", *args, "--password-stdin", "--data-dir", data],
            input=password + "\n",
        )  # fmt: skip
        return done.exit_code, done.output

    code, output = add("ana", "--institution", "csr.atlantis")
    assert code == 1 and "error: unknown_institution: 'csr.atlantis' is not a registered" in output
    assert "povezimo institutions list" in output
    code, output = add("ana", "--institution", "platform.povezimo")
    assert code == 1 and "error: institution_without_accounts:" in output
    code, output = add("ana", "--institution", NGO, password="short")
    assert code == 1 and "error: account_refused:" in output and "at least 12 characters" in output
    code, output = add("Ana Petrović", "--institution", NGO)
    assert code == 1 and "a username is" in output
    code, output = add("ana", "--institution", NGO, "--role", "superuser")
    assert code == 2 and "error: unknown_role: 'superuser'" in output
    code, output = add("ana", "--institution", NGO, "--role", "platform-system")
    assert code == 2
    assert add("ana", "--institution", NGO)[0] == 0  # role: OTHER when none is given
    code, output = add("ana", "--institution", NGO)
    assert code == 1 and "already an account 'ana'" in output
    missing = runner.invoke(cli, ["users", "disable", "nobody", "--data-dir", data])
    assert (
        missing.exit_code == 1 and "error: unknown_account: no account 'nobody'" in missing.output
    )


def test_old_failures_and_abandoned_sessions_do_not_pile_up(platform: Platform) -> None:
    engine = platform.views_engine
    store, sessions = StaffStore(engine), SessionStore(engine)
    store.add("ana", PASSWORD, institution=NGO, role="OTHER", now=NOW)
    for name in ("ana", "x1", "x2"):  # guesses at names, real or not
        assert store.sign_in(name, "wrong", now=NOW) is None
    later = NOW + LOCK_WINDOW + dt.timedelta(seconds=1)
    assert store.sign_in("ana", "wrong again", now=later) is None
    with engine.connect() as conn:
        kept = conn.execute(select(failures_table.c.username, failures_table.c.at)).all()
    assert [(name, at) for name, at in kept] == [("ana", later)]  # only the window's

    abandoned = sessions.start("ana", now=NOW)
    long_ago = sessions.start("ana", now=NOW - LONGEST)
    start = NOW - LONGEST
    for minutes in range(20, 8 * 60, 20):  # kept busy all day, it still ends after eight hours
        assert sessions.find(long_ago, now=start + dt.timedelta(minutes=minutes)) is not None
    assert sessions.find(long_ago, now=NOW + dt.timedelta(seconds=1)) is None
    sessions.start("ana", now=NOW + IDLE + dt.timedelta(seconds=1))
    with engine.connect() as conn:
        left = conn.execute(select(sessions_table.c.started_at)).scalars().all()
    assert NOW not in left and len(left) == 1  # the abandoned one is gone with the new start
    assert sessions.find(abandoned, now=NOW + IDLE + dt.timedelta(seconds=2)) is None
