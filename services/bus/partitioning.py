"""Key → partition, exactly as Kafka's default partitioner does it, and how many partitions a
new topic gets (a rule the application gives: the bus knows no topic of its own).

Both engines use them, so a case lands on the same partition number whichever bus carries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from kafka.partitioner.default import murmur2


# murmur2 is pure Python in kafka-python; a case's events repeat the same key many times.
@lru_cache(maxsize=65_536)
def partition_for(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def new_topic_partitions(topic: str, default: int, by_prefix: Mapping[str, int]) -> int:
    """Partitions for ``topic`` when it is created without a count given: the count of the first
    prefix of ``by_prefix`` it starts with, else ``default``."""
    for prefix, partitions in by_prefix.items():
        if topic.startswith(prefix):
            return partitions
    return default
