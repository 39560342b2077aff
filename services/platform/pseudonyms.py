"""Keyed pseudonyms for the regional aggregate, rotated by epoch.

A case, subject, referral or measure id becomes ``HMAC-SHA-256(epoch_key, kind ‖ id)`` where
``epoch_key = HMAC-SHA-256(secret, epoch)``. The secret is kept outside the aggregate store (a
setting, or a key file created with random bytes on first use), so the aggregate database alone
links nothing back to the log. The epoch (a year by default) is taken from the event's own time, so
a replay gives the same pseudonyms, and the same person gets unrelated pseudonyms in different
epochs: linking across epochs is a deliberate, bounded choice of the code that needs it (repeat
victimisation looks back 12 months), never a property of the stored data.

Exact instants that a pending clock needs later (a referral's due time) are *sealed*: XOR-ed with
a keyed mask derived from the raw id, so only an event that carries that id again can open them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from services.platform.files import refuse_loose
from services.platform.settings import Settings

EpochScheme = Literal["year", "quarter", "month", "none"]
KEY_BYTES = 32
MIN_KEY_BYTES = 16
PSEUDONYM_HEX = 32  # 128 bits: collisions are negligible at any regional scale
_MASK_BITS = 62  # microseconds since 1970 stay below 2**62 until the year 148,000
_EPOCH_ZERO = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def epoch_of(at: dt.datetime, scheme: EpochScheme) -> str:
    """The pseudonym epoch an instant falls in (UTC calendar)."""
    at = at.astimezone(dt.UTC)
    if scheme == "year":
        return f"{at.year}"
    if scheme == "quarter":
        return f"{at.year}-Q{(at.month - 1) // 3 + 1}"
    if scheme == "month":
        return f"{at.year}-{at.month:02d}"
    if scheme == "none":
        return "all"
    raise ValueError(f"unknown pseudonym epoch {scheme!r}: year, quarter, month or none")


def epochs_between(start: dt.datetime, end: dt.datetime, scheme: EpochScheme) -> list[str]:
    """Every epoch that meets [start, end], oldest first."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    return list(_epochs_of_months(start.year, start.month, end.year, end.month, scheme))


@lru_cache(maxsize=4096)
def _epochs_of_months(
    first_year: int, first_month: int, last_year: int, last_month: int, scheme: EpochScheme
) -> tuple[str, ...]:
    # Memoised by calendar month: every event of a month asks the same question.
    found: list[str] = []
    year, month = first_year, first_month
    while (year, month) <= (last_year, last_month):
        epoch = epoch_of(dt.datetime(year, month, 1, tzinfo=dt.UTC), scheme)
        if epoch not in found:
            found.append(epoch)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(found)


class Pseudonymiser:
    """Pseudonyms and sealed instants under one secret; the secret never leaves this object."""

    def __init__(self, key: bytes, scheme: EpochScheme = "year") -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
        epoch_of(_EPOCH_ZERO, scheme)  # validates the scheme
        self.scheme: EpochScheme = scheme
        self._epoch_key = lru_cache(maxsize=128)(self._derive_epoch_key)
        self.__key = key

    def __repr__(self) -> str:
        return f"Pseudonymiser(scheme={self.scheme!r})"

    def _derive_epoch_key(self, epoch: str) -> bytes:
        return hmac.new(self.__key, b"povezimo/epoch/" + epoch.encode(), hashlib.sha256).digest()

    def epoch_of(self, at: dt.datetime) -> str:
        return epoch_of(at, self.scheme)

    def epochs_between(self, start: dt.datetime, end: dt.datetime) -> list[str]:
        return epochs_between(start, end, self.scheme)

    def _mac(self, kind: str, value: str, epoch: str) -> bytes:
        message = f"{kind}\x00{value}".encode()
        return hmac.digest(self._epoch_key(epoch), message, "sha256")  # one call into OpenSSL

    def pseudonym(self, kind: str, value: object, epoch: str) -> str:
        """The pseudonym of ``value`` (an id of ``kind``) in ``epoch``."""
        return self._mac(kind, str(value), epoch).hex()[:PSEUDONYM_HEX]

    def seal_instant(self, kind: str, value: object, epoch: str, at: dt.datetime) -> int:
        """An instant only someone holding the key *and* ``value`` can read back."""
        micros = (at.astimezone(dt.UTC) - _EPOCH_ZERO) // dt.timedelta(microseconds=1)
        if not 0 <= micros < 2**_MASK_BITS:
            raise ValueError(f"instant {at!r} outside the sealable range")
        return micros ^ self._mask(kind, value, epoch)

    def open_instant(self, kind: str, value: object, epoch: str, sealed: int) -> dt.datetime:
        micros = sealed ^ self._mask(kind, value, epoch)
        try:
            return _EPOCH_ZERO + dt.timedelta(microseconds=micros)
        except OverflowError:
            raise ValueError("this sealed instant does not open with this id") from None

    def _mask(self, kind: str, value: object, epoch: str) -> int:
        digest = self._mac(f"seal/{kind}", str(value), epoch)
        return int.from_bytes(digest[:8], "big") & (2**_MASK_BITS - 1)


def load_key(settings: Settings) -> bytes:
    """The pseudonym secret: the setting if given, else the key file (created on first use)."""
    if settings.pseudonym_key is not None:
        key = settings.pseudonym_key.get_secret_value().encode()
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"POVEZIMO_PSEUDONYM_KEY needs at least {MIN_KEY_BYTES} characters")
        return key
    path = settings.resolved_pseudonym_key_file
    _refuse_key_inside_aggregate(path, settings.resolved_aggregate_url)
    if not path.exists():
        _create_key_file(path)
    refuse_loose([path])
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"{path}: a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
    return key


def pseudonymiser_for(settings: Settings) -> Pseudonymiser:
    return Pseudonymiser(load_key(settings), settings.pseudonym_epoch)


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        # O_EXCL: two processes starting together must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(os.urandom(KEY_BYTES))
        handle.flush()
        os.fsync(handle.fileno())


def _refuse_key_inside_aggregate(key_file: Path, aggregate_url: str) -> None:
    prefix = "sqlite:///"
    if aggregate_url.startswith(prefix):
        store = Path(aggregate_url[len(prefix) :]).resolve()
        if key_file.resolve() == store:
            raise ValueError("the pseudonym key file must live outside the aggregate store")
