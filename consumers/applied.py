"""Idempotency by event id: the ids of the events a projection applied, kept per case."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table

from consumers.rows import TableRows


class AppliedEvents:
    """The events a projection applied, kept per case: every consumer is idempotent by event id.

    The exchange may append an event twice after a crash; the copy is keyed by the same case, so
    it lands on the same partition, after the original. One row per case holds the ids of that
    case's applied events, read with the case's other rows and written back once per batch (a
    row per event, in a table keyed by random ids, cost more than the rest of the projection).
    """

    def __init__(self, table: Table, key_column: str, ids_column: str, **fixed: Any) -> None:
        self.rows = TableRows(table)
        self._key_column, self._ids_column = key_column, ids_column
        self._fixed = fixed  # columns every row of this projection carries (its name)
        self._key_names = self.rows.key_names
        self.clear()

    def clear(self) -> None:
        self._ids: dict[str, dict[str, None]] = {}
        self._touched: set[str] = set()
        self._keys: dict[str, Any] = {}

    def _key(self, owner: str) -> Any:
        if len(self._key_names) == 1:
            return owner
        key = self._keys.get(owner)
        if key is None:
            values = {**self._fixed, self._key_column: owner}
            key = self._keys[owner] = tuple(values[name] for name in self._key_names)
        return key

    def load(self, owners: Iterable[str]) -> None:
        """Read the applied ids of ``owners`` not in memory yet: a query per few hundred."""
        self.rows.prefetch(self._key(o) for o in owners if o not in self._ids)

    def _of(self, owner: str) -> dict[str, None]:
        ids = self._ids.get(owner)
        if ids is None:
            row = self.rows.get(self._key(owner))
            text = row[self._ids_column] if row else ""
            ids = self._ids[owner] = dict.fromkeys(text.split(",")) if text else {}
        return ids

    def new_owner(self, owner: str) -> None:
        """A case just opened: no event of it was applied (no need to ask the database)."""
        if owner not in self._ids:
            self._ids[owner] = {}
            self.rows.assume_absent(self._key(owner))

    def seen(self, owner: str, event_id: str) -> bool:
        return event_id in self._of(owner)

    def add(self, owner: str, event_id: str) -> None:
        self._of(owner)[event_id] = None
        self._touched.add(owner)

    def write(self) -> None:
        """Hand the cases touched since the last write to their rows (flushed with the store)."""
        for owner in self._touched:
            text = ",".join(self._ids[owner])
            key = self._key(owner)
            if not self.rows.update(key, **{self._ids_column: text}):
                self.rows.add({**self._fixed, self._key_column: owner, self._ids_column: text})
        self._touched = set()
