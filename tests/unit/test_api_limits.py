"""The API's per-token limits as rules, on a clock the test moves."""

from __future__ import annotations

import pytest

from services.api.errors import ApiError
from services.api.limits import OpenWaits, WriteRate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_token_writes_its_burst_then_at_its_rate() -> None:
    clock = Clock()
    rate = WriteRate(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        rate.take("a")
    with pytest.raises(ApiError) as refused:
        rate.take("a")
    assert (refused.value.status, refused.value.code) == (429, "write_rate_exceeded")
    assert refused.value.headers == {"Retry-After": "1"}
    rate.take("b")  # another token has its own allowance
    clock.now += 0.5  # one more event's worth at 2 a second
    rate.take("a")
    with pytest.raises(ApiError):
        rate.take("a")
    clock.now += 60  # an idle token fills up to its burst, no further
    for _ in range(3):
        rate.take("a")
    with pytest.raises(ApiError):
        rate.take("a")


def test_retry_after_says_how_long_a_slow_rate_needs() -> None:
    rate = WriteRate(rate=0.1, burst=1, clock=Clock())
    rate.take("a")
    with pytest.raises(ApiError) as refused:
        rate.take("a")
    assert refused.value.headers == {"Retry-After": "10"}


def test_a_token_holds_its_share_of_waits_and_gets_them_back() -> None:
    waits = OpenWaits(per_token=2)
    with waits.hold("a"), waits.hold("a"):
        with pytest.raises(ApiError) as refused, waits.hold("a"):
            pass
        assert (refused.value.status, refused.value.code) == (429, "too_many_waits")
        with waits.hold("b"):  # another token is not counted with it
            pass
    with waits.hold("a"), waits.hold("a"):  # released when the waits ended
        pass
    assert waits._open == {}
