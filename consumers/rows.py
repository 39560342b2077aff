"""A batch's rows in memory: read once, changed in memory, written back once per table.

Projections used to issue a few SQL statements per event; SQLAlchemy's per-statement work and one
round trip each made a decade's replay take hours. ``TableRows`` is a small identity map over one
table instead: a row is read the first time an event asks for it (by key, or with every row of
its case), later events of the batch change the copy in memory, and ``flush`` writes what changed
with one ``executemany`` per kind of change. The live runner clears it every batch; a rebuild
keeps it from chunk to chunk (it is the only writer of its rows) and, when it grows past its
budget, ages it (``age``): the rows used since the last ageing stay, brought back on their next
use, and the rest go at the next, so memory does not grow with the log while the cases still
active keep their rows (forgetting every row made each write re-read them all, case by case).

Rules a projection keeps:
- a row's key and its group columns (the case it belongs to) never change;
- ``add`` of a key that is not known is optimistic: if the database already holds it, ``flush``
  raises the database's integrity error and the caller redoes the batch event by event;
- ``update`` writes only the columns it names, so a column another writer sets directly in the
  database (the aggregate's repeat flag) is never overwritten with a stale copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from services.platform.sql import execute_many, insert_many

Row = dict[str, Any]
Key = Any  # the value of a one-column primary key, else a tuple of the key's values

IN_CHUNK = 500  # values per IN (…) list: well below every engine's limit on bound parameters


class DuplicateRow(Exception):
    """A batch added a row whose key it had added or read already (what the table would refuse)."""


class _Slot:
    """What is known of one key: its row (``None``: no such row) and whether the database has it
    (``None``: not known, for a row ``put`` without reading it)."""

    __slots__ = ("row", "stored")

    def __init__(self, row: Row | None, stored: bool | None) -> None:
        self.row = row
        self.stored = stored


class TableRows:
    """The rows of ``table`` that a batch reads or writes, keyed by primary key.

    ``groups`` names columns whose rows are read together (``case_id``): ``group`` returns every
    row with a value, read from the database once and kept complete in memory afterwards.
    """

    def __init__(self, table: Table, *, groups: Sequence[str] = ()) -> None:
        self.table = table
        self.key_names = tuple(c.name for c in table.primary_key.columns)
        self.names = tuple(c.name for c in table.columns)
        self._single = len(self.key_names) == 1
        # A key is the row's value for a one-column key, else the tuple of them (in C: key_of
        # runs for every row staged, loaded or written).
        self._key_of: Any = itemgetter(*self.key_names)
        self.groups = tuple(groups)
        # Where a group column sits in the key: a key of a loaded group absent from memory is
        # absent from the table too, with no query.
        self._group_in_key = {
            g: self.key_names.index(g) for g in self.groups if g in self.key_names
        }
        self._defaults = {c.name: _default_of(c) for c in table.columns}
        self.conn: Connection | None = None
        self.clear()
        self._get_one = select(table).where(self._key_clause_bound())
        self._delete = delete(table).where(self._key_clause_bound())
        self._updates: dict[tuple[str, ...], Any] = {}
        self._upserts: dict[str, Any] = {}

    # -- the cache ------------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every row (nothing unwritten may be pending: flush first)."""
        self._slots: dict[Key, _Slot] = {}
        self._dirty: dict[Key, set[str] | None] = {}  # key → columns updated (None: all)
        self._members: dict[str, dict[Any, set[Key]]] = {g: {} for g in self.groups}
        self._loaded: dict[str, set[Any]] = {g: set() for g in self.groups}
        self._age_out()

    def age(self) -> None:
        """Start a new generation (nothing unwritten may be pending: flush first). What is in
        memory becomes the old one: a row of it used again comes back (a group read whole comes
        back whole); what the next ``age`` still finds there is forgotten."""
        self._old_slots = self._slots
        self._old_members = self._members
        self._old_loaded = self._loaded
        self._has_old = True
        self._slots = {}
        self._members = {g: {} for g in self.groups}
        self._loaded = {g: set() for g in self.groups}

    def _age_out(self) -> None:
        self._old_slots = {}
        self._old_members = {g: {} for g in self.groups}
        self._old_loaded = {g: set() for g in self.groups}
        self._has_old = False  # the live runner's case: no generation to look in

    def _revive(self, key: Key) -> _Slot | None:
        """The slot of ``key`` brought back from the old generation, or None."""
        if not self._has_old:
            return None
        for column, position in self._group_in_key.items():
            self._revive_group(column, key if self._single else key[position])
        slot = self._slots.get(key) or self._old_slots.pop(key, None)
        if slot is not None and key not in self._slots:
            self._hold(key, slot)
            if slot.row is not None:
                for column in self.groups:
                    self._revive_group(column, slot.row[column])  # whole, as it was read
        return slot

    def _revive_group(self, column: str, value: Any) -> bool:
        """Bring back a group the old generation held whole; False if it did not."""
        if value not in self._old_loaded[column]:
            return False
        self._old_loaded[column].discard(value)
        for key in self._old_members[column].pop(value, ()):
            slot = self._old_slots.pop(key, None)
            if slot is not None and key not in self._slots:
                self._hold(key, slot)
        self._loaded[column].add(value)
        return True

    def _hold(self, key: Key, slot: _Slot) -> None:
        """Keep ``slot`` in memory under ``key``, its row a member of its groups."""
        self._slots[key] = slot
        if slot.row is not None:
            for column, members in self._members.items():
                members.setdefault(slot.row[column], set()).add(key)

    def __len__(self) -> int:
        return len(self._slots)

    @property
    def pending(self) -> bool:
        return bool(self._dirty)

    def key_of(self, row: Row) -> Key:
        key: Key = self._key_of(row)
        return key

    # -- reading ----------------------------------------------------------------------------------

    def get(self, key: Key) -> Row | None:
        """The row with this key, or None; read from the database the first time it is asked."""
        slot = self._slots.get(key)
        if slot is None:
            slot = self._revive(key) or self._load_one(key)
        return slot.row

    def prefetch(self, keys: Iterable[Key]) -> None:
        """Read the rows of ``keys`` not known yet, with one query per few hundred keys."""
        missing = [
            k
            for k in dict.fromkeys(keys)
            if k not in self._slots and self._revive(k) is None and not self._absent(k)
        ]
        for start in range(0, len(missing), IN_CHUNK):
            chunk = missing[start : start + IN_CHUNK]
            for row in self._query(select(self.table).where(self._keys_clause(chunk))):
                self._remember(row)
            for key in chunk:
                if key not in self._slots:
                    self._slots[key] = _Slot(None, False)

    def group(self, column: str, value: Any) -> list[Row]:
        """Every row whose ``column`` is ``value`` (one query the first time)."""
        if value not in self._loaded[column]:
            self.prefetch_groups(column, (value,))
        slots = self._slots
        found = []
        for key in self._members[column].get(value, ()):
            row = slots[key].row
            if row is not None:
                found.append(row)
        return found

    def prefetch_groups(self, column: str, values: Iterable[Any]) -> None:
        """Read the rows of every group of ``values`` not read yet, a query per few hundred."""
        loaded = self._loaded[column]
        missing = [
            v
            for v in dict.fromkeys(values)
            if v not in loaded and not self._revive_group(column, v)
        ]
        where = self.table.c[column]
        for start in range(0, len(missing), IN_CHUNK):
            chunk = missing[start : start + IN_CHUNK]
            for row in self._query(select(self.table).where(where.in_(chunk))):
                key = self.key_of(row)
                if key not in self._slots:  # what memory holds is newer than the database
                    self._remember(row)
            loaded.update(chunk)

    def assume_absent(self, key: Key) -> None:
        """The caller knows the table has no row with ``key`` (it just made the id up)."""
        if key not in self._slots and self._revive(key) is None:
            self._slots[key] = _Slot(None, False)

    def assume_empty_group(self, column: str, value: Any) -> None:
        """The caller knows the table has no row of this group (it belongs to a new case)."""
        self._loaded[column].add(value)

    # -- writing ----------------------------------------------------------------------------------

    def add(self, row: Row) -> Row:
        """A new row (columns left out take their defaults); ``DuplicateRow`` if its key is
        known to exist already. A key never read is assumed new: the database refuses it at
        flush if it is not."""
        return self._place(row, replace=False)

    def put(self, row: Row) -> Row:
        """Insert ``row`` or replace the row with its key, without reading it first."""
        return self._place(row, replace=True)

    def _place(self, row: Row, *, replace: bool) -> Row:
        if len(row) != len(self.names):
            row = {**self._defaults, **row}
        key = self.key_of(row)
        slot = self._slots.get(key) or self._revive(key)
        if slot is None:
            # Unknown to memory: put writes it whatever the table holds, add assumes it is new.
            self._slots[key] = _Slot(row, None if replace else False)
        elif slot.row is not None and not replace:
            raise DuplicateRow(f"{self.table.name}: a row with key {key!r} exists")
        else:
            slot.row = row  # what the table holds is replaced as a whole
        self._dirty[key] = None
        for column, members in self._members.items():
            members.setdefault(row[column], set()).add(key)
        return row

    def update(self, key: Key, **values: Any) -> bool:
        """Set ``values`` on the row with ``key``; False if there is no such row."""
        row = self.get(key)
        if row is None:
            return False
        row.update(values)
        changed = self._dirty.get(key, ())
        if changed is not None:  # None: the whole row is written anyway
            self._dirty[key] = {*changed, *values} if changed else set(values)
        return True

    def remove(self, key: Key) -> bool:
        """Delete the row with ``key``; False if there is no such row."""
        slot = self._slots.get(key) or self._revive(key) or self._load_one(key)
        if slot.row is None:
            return False
        for column, members in self._members.items():
            members.get(slot.row[column], set()).discard(key)
        slot.row = None
        self._dirty[key] = None
        return True

    def patch(self, key: Key, **values: Any) -> None:
        """Values another statement already wrote to the database: mirror them in memory only."""
        slot = self._slots.get(key) or self._old_slots.get(key)
        if slot is not None and slot.row is not None:
            slot.row.update(values)

    def flush(self, tx: Connection) -> int:
        """Write every change since the last flush; returns the number of rows written."""
        if not self._dirty:
            return 0
        inserts: list[Row] = []
        upserts: list[Row] = []
        deletes: list[Row] = []
        updates: dict[tuple[str, ...], list[Row]] = {}
        for key, columns in self._dirty.items():
            slot = self._slots[key]
            row = slot.row
            if row is None:
                if slot.stored is not False:
                    deletes.append(self._key_params(key))
            elif slot.stored is None:
                upserts.append(row)
            elif not slot.stored:
                inserts.append(row)
            else:
                names = tuple(sorted(columns)) if columns is not None else self._value_names
                if names:
                    params = {name: row[name] for name in names}
                    params.update(self._key_params(key))
                    updates.setdefault(names, []).append(params)
        if deletes:
            execute_many(tx, self._delete, deletes)
        if inserts:
            insert_many(tx, self.table, inserts)
        if upserts:
            execute_many(tx, self._upsert(tx.dialect.name), upserts)
        for names, rows in updates.items():
            execute_many(tx, self._update_of(names), rows)
        for key in self._dirty:
            slot = self._slots[key]
            slot.stored = slot.row is not None
        self._dirty = {}
        written = len(deletes) + len(inserts) + len(upserts)
        return written + sum(len(r) for r in updates.values())

    # -- internals --------------------------------------------------------------------------------

    @property
    def _value_names(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if n not in self.key_names)

    def _absent(self, key: Key) -> bool:
        """Whether ``key`` belongs to a group read completely (so its absence from memory is
        absence from the table)."""
        for column, position in self._group_in_key.items():
            if (key if self._single else key[position]) in self._loaded[column]:
                return True
        return False

    def _load_one(self, key: Key) -> _Slot:
        if self._absent(key):
            slot = _Slot(None, False)
        else:
            found = self._query(self._get_one, self._key_params(key, prefix="key_"))
            slot = self._remember(found[0]) if found else _Slot(None, False)
        self._slots[key] = slot
        return slot

    def _remember(self, row: Row) -> _Slot:
        key = self.key_of(row)
        slot = _Slot(row, True)
        self._hold(key, slot)
        return slot

    def _query(self, statement: Any, params: dict[str, Any] | None = None) -> list[Row]:
        if self.conn is None:
            raise RuntimeError(f"{self.table.name}: no connection to read from (begin a batch)")
        result = self.conn.execute(statement, params or {})
        # All rows in one fetch, each a dict by zip: iterating the result fetches row by row
        # and ``Row._asdict`` builds a key view per row (6 % of the demo's CPU together).
        names = tuple(result.keys())
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def _key_params(self, key: Key, prefix: str = "key_") -> dict[str, Any]:
        if self._single:
            return {f"{prefix}{self.key_names[0]}": key}
        return {f"{prefix}{name}": value for name, value in zip(self.key_names, key, strict=True)}

    def _key_clause_bound(self) -> Any:
        return and_(*(self.table.c[n] == bindparam(f"key_{n}") for n in self.key_names))

    def _keys_clause(self, keys: Sequence[Key]) -> Any:
        if self._single:
            return self.table.c[self.key_names[0]].in_(keys)
        columns = [self.table.c[n] for n in self.key_names]
        if len(keys) == 1:
            return and_(*(c == v for c, v in zip(columns, keys[0], strict=True)))
        # Keys that differ in one column only (a projection's applied ids: its name, then cases)
        # are that column's list: a row-value list is compared row by row on PostgreSQL.
        varying = [i for i in range(len(columns)) if len({k[i] for k in keys}) > 1]
        if len(varying) == 1:
            (i,) = varying
            same = (c == v for j, (c, v) in enumerate(zip(columns, keys[0], strict=True)) if j != i)
            return and_(*same, columns[i].in_([k[i] for k in keys]))
        try:
            return tuple_(*columns).in_(keys)
        except NotImplementedError:  # pragma: no cover - every shipped engine has row values
            return or_(*(and_(*(c == v for c, v in zip(columns, k, strict=True))) for k in keys))

    def _upsert(self, dialect_name: str) -> Any:
        statement = self._upserts.get(dialect_name)
        if statement is None:
            dialect = postgresql if dialect_name == "postgresql" else sqlite
            insert_ = dialect.insert(self.table)
            statement = insert_.on_conflict_do_update(
                index_elements=list(self.key_names),
                set_={name: insert_.excluded[name] for name in self._value_names},
            )
            self._upserts[dialect_name] = statement
        return statement

    def _update_of(self, names: tuple[str, ...]) -> Any:
        statement = self._updates.get(names)
        if statement is None:
            statement = (
                self.table.update()
                .where(self._key_clause_bound())
                .values({name: bindparam(name) for name in names})
            )
            self._updates[names] = statement
        return statement


def _default_of(column: Any) -> Any:
    """The value an INSERT leaving ``column`` out would store (a scalar default, else NULL)."""
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


class RowStore:
    """The ``TableRows`` of one projection, begun, flushed and cleared together."""

    def __init__(self, *tables: TableRows | RowsToInsert) -> None:
        self.tables = tables
        self.keep = False  # a rebuild keeps rows between batches; the live runner does not

    def begin(self, conn: Connection) -> None:
        """Read through ``conn`` from now on."""
        for rows in self.tables:
            rows.conn = conn

    def flush(self, tx: Connection) -> int:
        return sum(rows.flush(tx) for rows in self.tables)

    def clear(self) -> None:
        for rows in self.tables:
            rows.clear()

    def age(self) -> None:
        """Start a new generation of every table's rows (see ``TableRows.age``)."""
        for rows in self.tables:
            rows.age()

    def size(self) -> int:
        return sum(len(rows) for rows in self.tables)

    @property
    def pending(self) -> bool:
        return any(rows.pending for rows in self.tables)


class RowsToInsert:
    """Rows of a table that nothing reads back while they are written (a case's timeline):
    collected and inserted together at ``flush``, then forgotten."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.conn: Connection | None = None
        self._rows: list[Row] = []

    def add(self, row: Row) -> None:
        self._rows.append(row)

    def flush(self, tx: Connection) -> int:
        rows, self._rows = self._rows, []
        insert_many(tx, self.table, rows)
        return len(rows)

    def clear(self) -> None:
        self._rows = []

    def age(self) -> None:
        """Nothing is kept past a flush: nothing to age."""

    def __len__(self) -> int:
        return 0  # nothing is kept in memory past a flush

    @property
    def pending(self) -> bool:
        return bool(self._rows)
