"""Key → partition, exactly as Kafka's default partitioner does it.

Both engines use it, so a case lands on the same partition number whichever bus carries it.
"""

from __future__ import annotations

from kafka.partitioner.default import murmur2


def partition_for(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions
