"""One settings object for every entry point; each value can come from a ``POVEZIMO_*`` variable."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.platform.files import owner_only_dir, refuse_loose, sqlite_file


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POVEZIMO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("povezimo-data"),
        description="Where the embedded bus, registry and views live.",
    )
    bus_url: str | None = Field(
        default=None,
        description="kafka://host:port[,host:port], sqlite:///path or postgresql://…; "
        "default: the embedded SQLite log in the data directory.",
    )
    registry_url: str | None = Field(
        default=None,
        description="http(s):// of a Confluent-compatible registry, or a SQL URL for the "
        "embedded one; default: SQLite in the data directory.",
    )
    views_url: str | None = Field(
        default=None,
        description="SQL URL of the projections' database (views, inboxes, deadlines, tokens, "
        "offsets); default: SQLite in the data directory.",
    )
    exchange_url: str | None = Field(
        default=None,
        description="SQL URL of the exchange's decisions and case state; default: the views' "
        "database when views_url is set, else exchange.db in the data directory (on SQLite a "
        "file of its own, so the exchange never waits for a projection's writer lock).",
    )
    vault_url: str | None = Field(
        default=None,
        description="SQL URL of the key vault (per-subject data keys), kept apart from the log "
        "and the views; default: SQLite in the data directory.",
    )
    archive_url: str | None = Field(
        default=None,
        description="SQL URL of the audit archive (hash chain, signed checkpoints and its own "
        "offsets); default: archive.db in the data directory.",
    )
    archive_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key that signs archive checkpoints, kept outside the "
        "archive; default: keys/archive-signing.key in the data directory.",
    )
    checkpoint_every: int = Field(
        default=1000,
        ge=1,
        description="Records between signed archive checkpoints (every batch also ends with one).",
    )
    lease_ms: int = Field(
        default=10_000,
        ge=200,
        description="How long a projection's lease (one active member, the others standing by) "
        "outlives its holder's last renewal; a standby takes over within about 1.25 × this.",
    )
    session_timeout_ms: int | None = Field(
        default=None,
        ge=100,
        description="Consumer-group session timeout; default: the engine's own (10 s).",
    )
    default_partitions: int = Field(
        default=3, ge=1, description="Partitions of a topic the platform creates."
    )
    aggregate_url: str | None = Field(
        default=None,
        description="SQL URL of the regional aggregate's own database (never the views'); "
        "default: SQLite in the data directory.",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="Secret of the aggregate's keyed pseudonyms; default: the key file.",
    )
    pseudonym_key_file: Path | None = Field(
        default=None,
        description="Key file (outside the aggregate store), created with random bytes on first "
        "use; default: keys/pseudonym.key in the data directory.",
    )
    pseudonym_epoch: Literal["year", "quarter", "month", "none"] = Field(
        default="year", description="How long a pseudonym lives before its key rotates."
    )
    pool_population: int = Field(
        default=20_000,
        ge=0,
        description="Municipalities with fewer inhabitants are pooled into their district.",
    )
    disclosure_threshold: int = Field(
        default=5, ge=1, description="Released counts from 1 to threshold-1 are suppressed."
    )
    release_settle_days: int = Field(
        default=14,
        ge=0,
        description="Days after a month's end before its counts are released (and frozen).",
    )
    privacy_budget: float = Field(
        default=3.0, gt=0, description="Total epsilon that differentially private releases spend."
    )
    api_body_limit: int = Field(
        default=256 * 1024,
        ge=1024,
        description="Largest request body the HTTP API reads, in bytes (413 beyond it).",
    )
    api_write_rate: float = Field(
        default=50.0,
        gt=0,
        description="Events a second one token may submit over HTTP, sustained (429 beyond).",
    )
    api_write_burst: int = Field(
        default=500, ge=1, description="Events one token may submit at once before the rate holds."
    )
    api_waits_per_token: int = Field(
        default=4,
        ge=1,
        description="Long-polls and event streams one token may hold open at once (429 beyond).",
    )
    contribution_bound: int = Field(
        default=3, ge=1, description="Most units one person adds to a differentially private count."
    )

    @cached_property
    def resolved_bus_url(self) -> str:
        return self.bus_url or f"sqlite:///{self.data_dir / 'bus.db'}"

    @cached_property
    def resolved_registry_url(self) -> str:
        return self.registry_url or f"sqlite:///{self.data_dir / 'registry.db'}"

    @cached_property
    def resolved_aggregate_url(self) -> str:
        return self.aggregate_url or f"sqlite:///{self.data_dir / 'aggregate.db'}"

    @cached_property
    def resolved_pseudonym_key_file(self) -> Path:
        return self.pseudonym_key_file or self.data_dir / "keys" / "pseudonym.key"

    @cached_property
    def resolved_views_url(self) -> str:
        return self.views_url or f"sqlite:///{self.data_dir / 'views.db'}"

    @cached_property
    def resolved_exchange_url(self) -> str:
        return self.exchange_url or self.views_url or f"sqlite:///{self.data_dir / 'exchange.db'}"

    @cached_property
    def resolved_vault_url(self) -> str:
        return self.vault_url or f"sqlite:///{self.data_dir / 'vault.db'}"

    @cached_property
    def resolved_archive_url(self) -> str:
        return self.archive_url or f"sqlite:///{self.data_dir / 'archive.db'}"

    @cached_property
    def resolved_archive_key_file(self) -> Path:
        return self.archive_key_file or self.data_dir / "keys" / "archive-signing.key"

    def ensure_data_dir(self) -> Path:
        """The data directory, its owner's alone, with every store and key in it checked once."""
        return self._checked_data_dir

    @cached_property
    def _checked_data_dir(self) -> Path:
        owner_only_dir(self.data_dir)
        # Stores and keys the settings put outside the data directory are checked the same way.
        urls = (
            self.resolved_bus_url,
            self.resolved_registry_url,
            self.resolved_views_url,
            self.resolved_exchange_url,
            self.resolved_vault_url,
            self.resolved_archive_url,
            self.resolved_aggregate_url,
        )
        stores = [path for url in urls if (path := sqlite_file(url)) is not None]
        keys = [self.resolved_archive_key_file, self.resolved_pseudonym_key_file]
        refuse_loose([*stores, *keys])
        return self.data_dir
