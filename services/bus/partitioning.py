"""Key → partition, exactly as Kafka's default partitioner does it, and how many partitions a
new topic gets.

Both engines use them, so a case lands on the same partition number whichever bus carries it.
"""

from __future__ import annotations

from functools import lru_cache

from kafka.partitioner.default import murmur2


# murmur2 is pure Python in kafka-python; a case's events repeat the same key many times.
@lru_cache(maxsize=65_536)
def partition_for(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


# An institution's submissions topic carries one institution's traffic (a few events an hour at
# the busiest) and is read by the exchange together with every other institution's: one
# partition each keeps a case's order and makes every fetch of the exchange a third of what three
# would (a broker answers for each partition asked, data or not: ≈ 10 ms for 165 on tansu).
SUBMISSIONS_PARTITIONS = 1
_PARTITIONS_BY_PREFIX = {"submissions.": SUBMISSIONS_PARTITIONS}


def new_topic_partitions(topic: str, default: int) -> int:
    """Partitions for ``topic`` when it is created without a count given."""
    for prefix, partitions in _PARTITIONS_BY_PREFIX.items():
        if topic.startswith(prefix):
            return partitions
    return default
