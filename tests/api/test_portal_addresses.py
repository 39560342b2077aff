"""Sign-in limits per client address: a guesser trying one password over many usernames from one
address is refused after a bound, while another address signs in as before; and what the limit
remembers stays bounded however many addresses come."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from services.api.app import create_app
from services.api.portal.accounts import LOCK_AFTER, StaffAccount
from services.api.portal.addresses import ADDRESS_FAILURES, ADDRESS_WINDOW, AddressLimit
from services.bootstrap import Platform
from tests.api.test_portal import PASSWORD, Clock, clock, sign_in, staff  # noqa: F401

GUESS = "Spring2026!"  # one password, tried over many names


def client_at(platform: Platform, clock: Clock, address: str) -> TestClient:  # noqa: F811
    return TestClient(
        create_app(platform, clock=clock), raise_server_exceptions=False, client=(address, 50000)
    )


def test_one_address_trying_many_usernames_is_refused_past_the_bound_and_another_is_not(
    platform: Platform,
    staff: dict[str, StaffAccount],  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    app = create_app(platform, clock=clock)
    with (
        TestClient(app, raise_server_exceptions=False, client=("203.0.113.7", 1)) as guesser,
        TestClient(app, raise_server_exceptions=False, client=("198.51.100.9", 1)) as office,
    ):
        # Each name is tried fewer times than would lock its account: only the address counts.
        names = [f"user{n}" for n in range(ADDRESS_FAILURES)]
        assert ADDRESS_FAILURES > LOCK_AFTER
        for name in names:
            assert sign_in(guesser, name, GUESS).status_code == 401
        refused = sign_in(guesser, "someone.else", GUESS)
        assert refused.status_code == 429, refused.text[:500]
        assert int(refused.headers["Retry-After"]) == ADDRESS_WINDOW.total_seconds()
        # Refused before the password is looked at: even the right one waits at this address.
        assert sign_in(guesser, "ana").status_code == 429
        # Another address is not slowed, and the accounts tried are not locked.
        assert sign_in(office, "ana").status_code == 303
        office.cookies.clear()
        assert sign_in(office, "marko").status_code == 303
        # The window passes: the address may try again.
        clock.advance(seconds=ADDRESS_WINDOW.total_seconds() + 1)
        assert sign_in(guesser, "ana").status_code == 303


def test_a_success_does_not_wipe_the_addresss_failures(
    platform: Platform,
    staff: dict[str, StaffAccount],  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    """A guesser with one account of their own must not reset the count by signing in."""
    with client_at(platform, clock, "203.0.113.8") as guesser:
        for n in range(ADDRESS_FAILURES - 1):
            assert sign_in(guesser, f"user{n}", GUESS).status_code == 401
        assert sign_in(guesser, "marko").status_code == 303
        guesser.cookies.clear()
        assert sign_in(guesser, "user-last", GUESS).status_code == 401
        assert sign_in(guesser, "ana", GUESS).status_code == 429


def test_what_the_limit_remembers_is_bounded_however_many_addresses_come() -> None:
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    limit = AddressLimit(failures=3, window=dt.timedelta(minutes=15), addresses=100)
    for n in range(10_000):
        limit.failed(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", now=now)
    assert limit.remembered() <= 100
    # The newest addresses are the ones kept; each holds at most ``failures`` times.
    for _ in range(10):
        limit.failed("10.0.39.15", now=now)  # the last of the 10 000
    assert limit.remembered() <= 100
    assert limit.refusal("10.0.39.15", now=now) is not None
    assert limit.refusal("192.0.2.1", now=now) is None


def test_an_address_is_refused_until_its_oldest_failure_in_the_window_is_old() -> None:
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    limit = AddressLimit(failures=3, window=dt.timedelta(minutes=15), addresses=100)
    for minute in range(3):
        limit.failed("203.0.113.7", now=now + dt.timedelta(minutes=minute))
    at = now + dt.timedelta(minutes=5)
    assert limit.refusal("203.0.113.7", now=at) == dt.timedelta(minutes=10)
    assert limit.refusal("203.0.113.7", now=now + dt.timedelta(minutes=15, seconds=1)) is None
