"""The one place where settings become engines: bus, registry and codec for every entry point."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from schemas import Codec, SchemaRegistry, open_registry
from services.bus import Bus, open_bus
from services.settings import Settings


@dataclass
class Platform:
    settings: Settings = field(default_factory=Settings)

    @cached_property
    def bus(self) -> Bus:
        self.settings.ensure_data_dir()
        return open_bus(
            self.settings.resolved_bus_url, default_partitions=self.settings.default_partitions
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

    def close(self) -> None:
        if "bus" in self.__dict__:
            self.bus.close()
