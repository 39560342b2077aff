"""The one place where settings become engines: bus, registry, codec, institutions, projections."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from consumers.aggregate import RegionalAggregate
from consumers.archive import Archive, create_archive_tables
from consumers.deadline_watcher import DeadlineWatcher
from consumers.exchange import Exchange
from consumers.inbox import Inboxes
from consumers.lease import Lease
from consumers.programme import ProgrammeRecord
from consumers.runner import (
    BACKGROUND_BATCH_INTERVAL_S,
    Projection,
    ProjectionRunner,
    create_tables,
)
from consumers.views import InstitutionViews
from schemas import Codec, SchemaRegistry, open_registry
from schemas.institutions import InstitutionRegistry
from schemas.topics import PARTITIONS_BY_PREFIX
from services.bus import Bus, open_bus
from services.platform.files import sqlite_file
from services.platform.pseudonyms import Pseudonymiser, pseudonymiser_for
from services.platform.settings import Settings
from services.platform.sql import sql_engine
from services.platform.vault import KeyVault


@dataclass
class Platform:
    settings: Settings = field(default_factory=Settings)
    session_timeout_ms: int | None = None  # tests shorten group joins; production keeps defaults

    @cached_property
    def bus(self) -> Bus:
        self.settings.ensure_data_dir()
        return open_bus(
            self.settings.resolved_bus_url,
            default_partitions=self.settings.default_partitions,
            partitions_by_prefix=PARTITIONS_BY_PREFIX,
        )

    @cached_property
    def registry(self) -> SchemaRegistry:
        self.settings.ensure_data_dir()
        return open_registry(self.settings.resolved_registry_url)

    @cached_property
    def codec(self) -> Codec:
        codec = Codec(self.registry)
        codec.register_all()
        return codec

    @cached_property
    def institutions(self) -> InstitutionRegistry:
        return InstitutionRegistry.for_data_dir(self.settings.ensure_data_dir())

    @cached_property
    def views_engine(self) -> Engine:
        self.settings.ensure_data_dir()
        return sql_engine(self.settings.resolved_views_url)

    @cached_property
    def exchange_engine(self) -> Engine:
        """The exchange's decisions (``submissions_table``) and the case state it checks."""
        self.settings.ensure_data_dir()
        if self.settings.resolved_exchange_url == self.settings.resolved_views_url:
            return self.views_engine
        return sql_engine(self.settings.resolved_exchange_url)

    @cached_property
    def aggregate_engine(self) -> Engine:
        """The regional aggregate's own database: a coordinator's store holds no view rows."""
        self.settings.ensure_data_dir()
        return sql_engine(self.settings.resolved_aggregate_url)

    @cached_property
    def pseudonyms(self) -> Pseudonymiser:
        self.settings.ensure_data_dir()
        return pseudonymiser_for(self.settings)

    def engine_for(self, projection: Projection) -> Engine:
        """Rows and stored offsets of a projection commit in its own database's transaction."""
        database = projection.database
        if database == "exchange":
            return self.exchange_engine
        if database == "aggregate":
            return self.aggregate_engine
        if database == "archive":
            return self.archive_engine
        return self.views_engine

    @cached_property
    def vault(self) -> KeyVault:
        self.settings.ensure_data_dir()
        return KeyVault(sql_engine(self.settings.resolved_vault_url))

    @cached_property
    def archive_engine(self) -> Engine:
        self.settings.ensure_data_dir()
        # Readers (verify, replay, identify) may come before the archive has run once.
        return create_archive_tables(sql_engine(self.settings.resolved_archive_url))

    @cached_property
    def outbox_engine(self) -> Engine:
        """The producer SDK's outbox of the institutions simulated or imported on this machine."""
        self.settings.ensure_data_dir()
        return sql_engine(f"sqlite:///{self.settings.data_dir / 'outbox.db'}")

    def projections(self) -> dict[str, Projection]:
        """Every consumer of the platform, by name, in data-path order."""
        found: list[Projection] = [
            Exchange(self.codec, self.institutions, self.vault),
            InstitutionViews(self.codec, self.institutions),
            Inboxes(self.codec, self.institutions),
            DeadlineWatcher(self.codec),
            RegionalAggregate(
                self.codec,
                self.institutions,
                self.pseudonyms,
                pool_below=self.settings.pool_population,
            ),
            ProgrammeRecord(self.codec),
            Archive(
                self.archive_engine,
                self.settings.resolved_archive_key_file,
                checkpoint_every=self.settings.checkpoint_every,
            ),
        ]
        return {p.name: p for p in found}

    def create_tables(self) -> None:
        """Every projection's tables, in its database, before any has run (readers need them)."""
        for projection in self.projections().values():
            create_tables(projection, self.engine_for(projection))

    def runner(self, projection: Projection, *, max_records: int = 500) -> ProjectionRunner:
        """A member of the projection's group that writes only while it holds its lease."""
        engine = self.engine_for(projection)
        return ProjectionRunner(
            projection,
            self.bus,
            engine,
            session_timeout_ms=self.session_timeout_ms or self.settings.session_timeout_ms,
            max_records=max_records,
            batch_interval=0.0 if projection.on_data_path else BACKGROUND_BATCH_INTERVAL_S,
            lease=Lease(engine, projection.name, duration_ms=self.settings.lease_ms),
        )

    def close(self) -> None:
        if "bus" in self.__dict__:
            self.bus.close()
        if "views_engine" in self.__dict__:
            self.views_engine.dispose()
        if "aggregate_engine" in self.__dict__:
            self.aggregate_engine.dispose()
        if "exchange_engine" in self.__dict__:
            self.exchange_engine.dispose()
        if "archive_engine" in self.__dict__:
            self.archive_engine.dispose()
        if "outbox_engine" in self.__dict__:
            self.outbox_engine.dispose()
        if "vault" in self.__dict__:
            self.vault.engine.dispose()


def open_platform(bus: str | None = None, data_dir: Path | None = None) -> Platform:
    """The platform as a command line names it: settings from the environment, the options first."""
    overrides: dict[str, object] = {}
    if bus:
        overrides["bus_url"] = bus
    if data_dir:
        overrides["data_dir"] = data_dir
    return Platform(Settings(**overrides))  # type: ignore[arg-type]


def holds_platform(settings: Settings) -> bool:
    """Whether ``settings`` name a platform that exists: its institution registry is in the data
    directory (every command that starts the platform writes it first), or its stores live in an
    external database (a deployment, whose data directory may start empty)."""
    if (settings.data_dir / InstitutionRegistry.FILE_NAME).exists():
        return True
    urls = (settings.views_url, settings.archive_url, settings.exchange_url, settings.vault_url)
    return any(url is not None and sqlite_file(url) is None for url in urls)
