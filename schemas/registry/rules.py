"""The embedded registry's rules: the compatibility level and the mode, registry-wide and per
subject, kept in SQL. A subject without a rule of its own follows the registry-wide one; the
registry-wide level, when nobody set it, is the project's one rule (decision 0007)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Connection, Engine, delete, insert, select, update

from schemas.registry.compatibility import DEFAULT_COMPATIBILITY, Compatibility
from schemas.registry.port import Mode, RuleNotSet, SubjectNotFound
from schemas.registry.tables import GLOBAL, rules_table

Rule = Literal["compatibility", "mode"]


class RegistryRules:
    """Compatibility levels and modes over ``registry_rules``."""

    def __init__(self, engine: Engine, default: Compatibility = DEFAULT_COMPATIBILITY) -> None:
        self.engine = engine
        self.default = default

    def _stored(self, conn: Connection, rule: Rule, scope: str) -> str | None:
        value = conn.execute(
            select(rules_table.c[rule]).where(rules_table.c.scope == scope)
        ).scalar_one_or_none()
        return str(value) if value is not None else None

    def _store(self, conn: Connection, rule: Rule, scope: str, value: str | None) -> None:
        found = conn.execute(
            select(rules_table.c.scope).where(rules_table.c.scope == scope)
        ).first()
        if found is None:
            conn.execute(insert(rules_table).values(scope=scope, **{rule: value}))
        else:
            conn.execute(
                update(rules_table).where(rules_table.c.scope == scope).values(**{rule: value})
            )

    # -- compatibility ---------------------------------------------------------------------

    def level_in_scope(self, conn: Connection, subject: str) -> Compatibility:
        """The level a registration under ``subject`` is checked with."""
        own = self._stored(conn, "compatibility", subject)
        return Compatibility(own) if own else self._global_level(conn)

    def _global_level(self, conn: Connection) -> Compatibility:
        stored = self._stored(conn, "compatibility", GLOBAL)
        return Compatibility(stored) if stored else self.default

    def compatibility(self, subject: str | None, default_to_global: bool) -> Compatibility:
        with self.engine.connect() as conn:
            if subject is None:
                return self._global_level(conn)
            own = self._stored(conn, "compatibility", subject)
            if own:
                return Compatibility(own)
            if default_to_global:
                return self._global_level(conn)
        raise RuleNotSet("compatibility", subject)

    def set_compatibility(self, level: Compatibility, subject: str | None) -> Compatibility:
        with self.engine.begin() as conn:
            self._store(conn, "compatibility", subject or GLOBAL, level.value)
        return level

    def delete_compatibility(self, subject: str | None) -> Compatibility:
        with self.engine.begin() as conn:
            if subject is None:
                previous = self._global_level(conn)
                self._store(conn, "compatibility", GLOBAL, None)
                return previous
            own = self._stored(conn, "compatibility", subject)
            if not own:
                # Confluent answers "subject not found" here (40401), not 40408.
                raise SubjectNotFound(f"subject {subject!r} has no compatibility level of its own")
            self._store(conn, "compatibility", subject, None)
            return Compatibility(own)

    # -- mode --------------------------------------------------------------------------------

    def mode_in_scope(self, conn: Connection, subject: str | None) -> Mode:
        own = self._stored(conn, "mode", subject) if subject else None
        stored = own or self._stored(conn, "mode", GLOBAL)
        return Mode(stored) if stored else Mode.READWRITE

    def mode(self, subject: str | None, default_to_global: bool) -> Mode:
        with self.engine.connect() as conn:
            if subject is None or default_to_global:
                return self.mode_in_scope(conn, subject)
            own = self._stored(conn, "mode", subject)
        if own:
            return Mode(own)
        raise RuleNotSet("mode", subject)

    def set_mode(self, mode: Mode, subject: str | None) -> Mode:
        with self.engine.begin() as conn:
            self._store(conn, "mode", subject or GLOBAL, mode.value)
        return mode

    def delete_mode(self, subject: str | None) -> Mode:
        with self.engine.begin() as conn:
            if subject is None:
                previous = self.mode_in_scope(conn, None)
                self._store(conn, "mode", GLOBAL, None)
                return previous
            own = self._stored(conn, "mode", subject)
            if not own:
                raise SubjectNotFound(f"subject {subject!r} has no mode of its own")
            self._store(conn, "mode", subject, None)
            return Mode(own)

    def forget(self, conn: Connection, subject: str) -> None:
        """A deleted subject takes its own rules with it (as Confluent's does)."""
        conn.execute(delete(rules_table).where(rules_table.c.scope == subject))
