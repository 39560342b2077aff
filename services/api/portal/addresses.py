"""Failed sign-ins counted per client address, beside the per-account lock-out.

The account lock (five failures in fifteen minutes) stops a guesser trying many passwords on one
name; it does nothing against one password tried over many names. This counts failures of any
name from one address: past ``failures`` within ``window`` the address is refused (429 with
``Retry-After``) before any password is checked, until its oldest counted failure is
``window`` old. A success does not wipe the count, or a guesser with one account of their own
could reset it at will.

The state lives in the process and is bounded: at most ``addresses`` addresses, each with at most
``failures`` times; when full, the address not seen for longest is forgotten first. A guesser
with more addresses than that can push a guessing address out, but then it holds that many
addresses, which no per-address limit stops; the account lock still holds for each name.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, deque

# An office behind one NAT shares an address: twenty typos in a quarter of an hour from a whole
# office is rare, while a guesser gets at most 80 names an hour from one address.
ADDRESS_FAILURES = 20
ADDRESS_WINDOW = dt.timedelta(minutes=15)
ADDRESSES_KEPT = 10_000  # at most 10 000 x 20 datetimes: a few megabytes


class AddressLimit:
    def __init__(
        self,
        failures: int = ADDRESS_FAILURES,
        window: dt.timedelta = ADDRESS_WINDOW,
        addresses: int = ADDRESSES_KEPT,
    ) -> None:
        self.failures = failures
        self.window = window
        self.addresses = addresses
        self._seen: OrderedDict[str, deque[dt.datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def refusal(self, address: str, *, now: dt.datetime) -> dt.timedelta | None:
        """How long ``address`` must wait before it may try again, or None if it may now."""
        with self._lock:
            times = self._recent(address, now)
            if times is None or len(times) < self.failures:
                return None
            return times[0] + self.window - now

    def failed(self, address: str, *, now: dt.datetime) -> None:
        """One more failed sign-in from ``address``."""
        with self._lock:
            times = self._recent(address, now)
            if times is None:
                times = deque(maxlen=self.failures)
                self._seen[address] = times
                while len(self._seen) > self.addresses:
                    self._seen.popitem(last=False)
            times.append(now)
            self._seen.move_to_end(address)

    def remembered(self) -> int:
        """How many addresses are held now (for tests and bounds)."""
        with self._lock:
            return len(self._seen)

    def _recent(self, address: str, now: dt.datetime) -> deque[dt.datetime] | None:
        """The address's failures still within the window (older ones dropped), if any."""
        times = self._seen.get(address)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._seen[address]
            return None
        return times
