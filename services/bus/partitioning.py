"""Key → partition, exactly as Kafka's default partitioner does it.

Both engines use it, so a case lands on the same partition number whichever bus carries it.
"""

from __future__ import annotations

from functools import lru_cache

from kafka.partitioner.default import murmur2


# murmur2 is pure Python in kafka-python; a case's events repeat the same key many times.
@lru_cache(maxsize=65_536)
def partition_for(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions
