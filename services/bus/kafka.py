"""The Kafka engine: kafka-python against Apache Kafka or any Kafka-protocol broker.

This is how a region that outgrows one machine scales: partitions, replication, consumer groups.
The adapter stays thin; the broker does the work.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KafkaTopicPartition
from kafka.admin import NewTopic
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from services.bus.partitioning import new_topic_partitions, partition_for
from services.bus.port import (
    AssignCallback,
    BusError,
    CommitFailed,
    Headers,
    Outgoing,
    Record,
    TopicPartition,
)
from services.platform.logredact import redact_library_logs

redact_library_logs()  # kafka-python logs record values at DEBUG: keep them out of log files

DEFAULT_SESSION_TIMEOUT_MS = 10_000  # kafka-python's default; brokers allow 6 s to 30 min
# How long the broker may hold a fetch that finds nothing new. Apache Kafka answers as soon as a
# record arrives, but some Kafka-protocol brokers (tansu) hold the fetch the whole time, so each
# hop of the data path (submission → exchange → case-events → inbox) waited up to kafka-python's
# 500 ms: referral latency p50 ≈ 300 ms on tansu. An idle member now asks 20 times a second.
FETCH_MAX_WAIT_MS = 50
# How long ``flush`` waits for the broker to acknowledge before it gives up with ``BusError``.
# kafka-python would otherwise wait up to its delivery timeout (2 min) while a broker is down,
# and an outbox relay would sit blocked instead of backing off and retrying.
DEFAULT_FLUSH_TIMEOUT_S = 10.0
# Options a kafka:// URL may carry in its query string, with their types.
_CLIENT_OPTIONS: dict[str, type] = {
    "client_id": str,
    "security_protocol": str,
    "sasl_mechanism": str,
    "sasl_plain_username": str,
    "sasl_plain_password": str,
    "ssl_cafile": str,
    "ssl_certfile": str,
    "ssl_keyfile": str,
    "request_timeout_ms": int,
}


def parse_kafka_url(url: str) -> tuple[list[str], dict[str, Any], int]:
    """``kafka://h1:9092,h2:9092?client_id=x&replication_factor=3`` → servers, options, replicas."""
    parts = urlsplit(url)
    if parts.scheme != "kafka" or not parts.netloc:
        raise ValueError(f"not a kafka:// URL: {url!r}")
    servers = [s for s in parts.netloc.split(",") if s]
    options: dict[str, Any] = {}
    replication = 1
    for name, value in parse_qsl(parts.query):
        if name == "replication_factor":
            replication = int(value)
        elif name in _CLIENT_OPTIONS:
            options[name] = _CLIENT_OPTIONS[name](value)
        else:
            raise ValueError(f"unknown kafka:// URL option {name!r}")
    return servers, options, replication


def _forbid_auto_create(client: KafkaProducer | KafkaConsumer) -> None:
    """Make the client's metadata requests ask the broker not to create the topics they name.

    The platform creates each topic it uses with its partition count (``create_topic``). A broker
    that creates a topic because a metadata request named it uses its own default (tansu: 4;
    Apache Kafka: ``num.partitions``, unless ``auto.create.topics.enable=false`` as in
    ``deploy/``), so keys choose other partitions: an institution's relay still running while
    its broker restarted empty recreated case-events that way before ``povezimo restore`` could.
    Every client is given ``allow_auto_create_topics=False``, but kafka-python 3.0 builds the
    client's ``ClusterMetadata`` without it (``kafka.net.manager``) and asks for creation anyway:
    the setting is put where the requests are built.
    """
    cluster = getattr(client, "_metadata", None)  # a producer's
    if cluster is None:
        cluster = getattr(getattr(client, "_client", None), "cluster", None)  # a consumer's
    config = getattr(cluster, "config", None)
    if isinstance(config, dict) and "allow_auto_create_topics" in config:
        config["allow_auto_create_topics"] = False


def _to_kafka(tp: TopicPartition) -> KafkaTopicPartition:
    return KafkaTopicPartition(tp.topic, tp.partition)


def _from_kafka(tp: KafkaTopicPartition) -> TopicPartition:
    return TopicPartition(tp.topic, tp.partition)


class KafkaBus:
    """The :class:`~services.bus.port.Bus` port over kafka-python."""

    def __init__(
        self,
        servers: list[str],
        *,
        options: dict[str, Any] | None = None,
        default_partitions: int = 3,
        partitions_by_prefix: Mapping[str, int] | None = None,
        replication_factor: int = 1,
        url: str = "",
        flush_timeout: float = DEFAULT_FLUSH_TIMEOUT_S,
    ) -> None:
        self.url = url or "kafka://" + ",".join(servers)
        self.servers = servers
        self.options = options or {}
        self.default_partitions = default_partitions
        self.partitions_by_prefix = dict(partitions_by_prefix or {})
        self.replication_factor = replication_factor
        self.flush_timeout = flush_timeout
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None
        self._metadata: KafkaConsumer | None = None
        self._known_topics: set[str] = set()
        self._listed_topics = False  # the broker's topics were listed once into _known_topics
        self._tracked_topics: set[str] = set()  # topics the producer's metadata asks about
        self._pending: list[Any] = []
        self._lock = threading.Lock()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        default_partitions: int = 3,
        partitions_by_prefix: Mapping[str, int] | None = None,
    ) -> KafkaBus:
        servers, options, replication = parse_kafka_url(url)
        return cls(
            servers,
            options=options,
            default_partitions=default_partitions,
            partitions_by_prefix=partitions_by_prefix,
            replication_factor=replication,
            url=url,
        )

    # -- clients, created on first use -------------------------------------------------------

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            redact_library_logs()  # kafka-python imports some modules only now
            self._producer = KafkaProducer(
                bootstrap_servers=self.servers,
                allow_auto_create_topics=False,
                # Idempotence: a retried send after a lost acknowledgement is not written twice.
                enable_idempotence=True,
                acks="all",
                linger_ms=5,
                batch_size=256 * 1024,
                # ``send`` waits this long for a topic's metadata: no longer than a flush.
                max_block_ms=int(self.flush_timeout * 1000),
                **self.options,
            )
            _forbid_auto_create(self._producer)
        return self._producer

    @property
    def admin(self) -> KafkaAdminClient:
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self.servers, **self.options)
        return self._admin

    @property
    def metadata(self) -> KafkaConsumer:
        """A group-less consumer used only for metadata and end offsets."""
        if self._metadata is None:
            self._metadata = KafkaConsumer(
                bootstrap_servers=self.servers,
                allow_auto_create_topics=False,
                enable_auto_commit=False,
                **self.options,
            )
            _forbid_auto_create(self._metadata)
        return self._metadata

    # -- producing ---------------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers = (),
        *,
        timestamp_ms: int | None = None,
    ) -> None:
        if topic not in self._known_topics:
            self._ensure_topic(topic)
        if topic not in self._tracked_topics:
            self._track(topic)
        producer = self.producer
        try:
            # Kafka's default partitioner, memoised (``partition_for``): kafka-python's runs its
            # pure-Python murmur2 on every send, and a case's key repeats for all its events.
            partition = (
                None if key is None else partition_for(key, len(producer.partitions_for(topic)))
            )
            future = producer.send(
                topic,
                key=key,
                value=value,
                headers=list(headers),
                partition=partition,
                timestamp_ms=timestamp_ms,
            )
        except KafkaError as error:
            self._give_up()
            raise BusError(f"publish to {topic} failed: {error}") from error
        with self._lock:
            self._pending.append(future)

    def publish_all(self, records: Iterable[Outgoing]) -> None:
        """Send every record, partition by partition, then flush (see ``flush``).

        kafka-python fills one batch per partition until ``linger_ms`` runs out, and a batch
        costs the client far more than a record (a future, an event, a buffer, its share of a
        request). Records of many partitions in the order they were written (an outbox of many
        cases and institutions) left one to a few records in each batch: 500–2,000 batches
        for 10,000 records, and a send cost that doubled as the caller slowed down. Sent grouped
        by partition, in the order given within each, they fill ~190. Topic lookups and
        partition counts are taken once per topic rather than once per record.
        """
        groups: dict[tuple[str, int | None], list[tuple[bytes | None, bytes | None, Any]]] = {}
        counts: dict[str, int] = {}
        try:
            producer = self.producer
            for topic, key, value, headers in records:
                count = counts.get(topic)
                if count is None:
                    if topic not in self._known_topics:
                        self._ensure_topic(topic)
                    if topic not in self._tracked_topics:
                        self._track(topic)
                    count = counts[topic] = len(producer.partitions_for(topic))
                partition = None if key is None else partition_for(key, count)
                group = groups.get((topic, partition))
                if group is None:
                    group = groups[(topic, partition)] = []
                group.append((key, value, headers if isinstance(headers, list) else list(headers)))
            send = producer.send
            futures = [
                send(topic, key=key, value=value, headers=headers, partition=partition)
                for (topic, partition), group in groups.items()
                for key, value, headers in group
            ]
        except KafkaError as error:
            self._give_up()
            raise BusError(f"publish failed: {error}") from error
        with self._lock:
            self._pending.extend(futures)
        self.flush()

    def _ensure_topic(self, topic: str) -> None:
        """Create ``topic`` unless the broker has it; one listing serves every existing topic.

        A producer writing to many topics (a relay for every institution) would otherwise pay a
        CreateTopics round trip for each on its first publish.
        """
        if not self._listed_topics:
            with contextlib.suppress(BusError):
                self._known_topics.update(self.list_topics())
                self._listed_topics = True
        if topic not in self._known_topics:
            self.create_topic(topic)

    def _track(self, topic: str) -> None:
        """Make the producer ask for ``topic`` in every metadata refresh, not only the first.

        kafka-python's producer starts with a metadata request for no topics, and some
        Kafka-protocol brokers (tansu) answer it with every topic. A send to a topic learnt that
        way never adds it to the producer's tracked topics, so the first refresh asking for the
        tracked ones (a send to a topic created later) forgets its leaders: the sender thread then
        spins at full CPU asking for metadata that never names the topic, and the topic's
        unsent records wait in ``flush`` until they expire (``KafkaTimeoutError`` after
        ``delivery_timeout_ms``). So every topic the producer knows is tracked, all at once (one
        refresh; tracking them one by one would drop the others' leaders at each step), through
        the sender's own thread-safe ``add_topic``.
        """
        producer = self.producer
        sender = getattr(producer, "_sender", None)
        metadata = getattr(producer, "_metadata", None)
        if sender is None or metadata is None or not hasattr(sender, "add_topic"):
            self._tracked_topics.add(topic)  # another kafka-python: nothing to work around
            return
        try:
            producer.partitions_for(topic)  # waits for the first metadata answer
        except KafkaError as error:
            raise BusError(f"no metadata for {topic}: {error}") from error
        for known in {topic, *metadata.topics()} - self._tracked_topics:
            sender.add_topic(known)
            self._tracked_topics.add(known)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """The producer batches by itself; the block ends with a flush."""
        yield
        self.flush()

    def flush(self, timeout: float | None = None) -> None:
        """Wait for every record published so far; ``BusError`` if one was not acknowledged.

        Gives up after ``timeout`` (default ``flush_timeout``) rather than kafka-python's delivery
        timeout, so a caller holding the records (an outbox relay) backs off and retries.
        """
        if self._producer is None:
            return
        try:
            self._producer.flush(timeout=self.flush_timeout if timeout is None else timeout)
        except KafkaError as error:
            self._give_up()
            raise BusError(f"flush failed: {error}") from error
        with self._lock:
            pending, self._pending = self._pending, []
        failed = [f.exception for f in pending if f.failed()]
        if failed:
            self._give_up()
            raise BusError(f"{len(failed)} record(s) not acknowledged: {failed[0]}")

    def _give_up(self) -> None:
        """Drop the producer and what it still buffers, after a send the broker did not take.

        The caller still holds those records and sends them again: a producer left running would
        deliver its buffered copies too, whenever the broker came back. Topics are looked up
        again, as a broker that restarted empty (tansu keeps nothing) no longer has them.
        """
        producer, self._producer = self._producer, None
        with self._lock:
            self._pending = []
        self._known_topics.clear()
        if producer is None:
            return
        sender = getattr(producer, "_sender", None)
        if sender is not None:
            sender.force_close()  # fail the buffered batches instead of sending them later
        with contextlib.suppress(Exception):
            producer.close(timeout=1)

    # -- topics ------------------------------------------------------------------------------

    def create_topic(self, topic: str, partitions: int | None = None) -> None:
        count = partitions or new_topic_partitions(
            topic, self.default_partitions, self.partitions_by_prefix
        )
        new = NewTopic(topic, count, self.replication_factor)
        try:
            self.admin.create_topics([new])
        except TopicAlreadyExistsError:
            pass
        except KafkaError as error:
            raise BusError(f"cannot create topic {topic}: {error}") from error
        self._known_topics.add(topic)

    def list_topics(self) -> set[str]:
        try:
            return set(self.admin.list_topics())
        except KafkaError as error:
            raise BusError(f"cannot list topics: {error}") from error

    def partitions_for(self, topic: str) -> int:
        return self.partition_counts([topic])[topic]

    def partition_counts(self, topics: Iterable[str]) -> dict[str, int]:
        # One refresh for all: partitions_for_topic then reads the cached answer. (A refresh
        # per topic made the demo's drains ask the broker ~55 times per look at the log ends.)
        self.metadata.topics()
        return {t: len(self.metadata.partitions_for_topic(t) or ()) for t in topics}

    def end_offsets(
        self, partitions: Iterable[TopicPartition], timeout: float = 5.0
    ) -> dict[TopicPartition, int]:
        """The log end of each partition, from the high watermark of a real fetch.

        ListOffsets alone is not trusted: some Kafka-protocol brokers (tansu) answer it with the
        end of the last batch's first record. The fetch response's high watermark is exact, and
        ListOffsets is still used to land the fetch inside the last batch so little is read.
        """
        tps = [_to_kafka(tp) for tp in partitions]
        if not tps:
            return {}
        reader = KafkaConsumer(
            bootstrap_servers=self.servers,
            allow_auto_create_topics=False,
            enable_auto_commit=False,
            max_poll_records=1,
            **self.options,
        )
        _forbid_auto_create(reader)
        try:
            listed = reader.end_offsets(tps)
            reader.assign(tps)
            for tp in tps:
                reader.seek(tp, max(listed[tp] - 1, 0))
            ends: dict[TopicPartition, int] = {}
            deadline = time.monotonic() + timeout
            while len(ends) < len(tps) and time.monotonic() < deadline:
                reader.poll(timeout_ms=100)
                for tp in tps:
                    highwater = reader.highwater(tp)
                    if highwater is not None:
                        ends[_from_kafka(tp)] = max(highwater, listed[tp])
        except KafkaError as error:
            raise BusError(f"cannot read end offsets: {error}") from error
        finally:
            reader.close(autocommit=False)
        if len(ends) < len(tps):
            raise BusError(
                f"no high watermark for {len(tps) - len(ends)} partition(s) in {timeout}s"
            )
        return ends

    # -- consuming ---------------------------------------------------------------------------

    def consumer(
        self,
        group: str,
        topics: Sequence[str] | re.Pattern[str],
        *,
        on_assign: AssignCallback | None = None,
        from_beginning: bool = True,
        session_timeout_ms: int | None = None,
    ) -> KafkaGroupConsumer:
        session = session_timeout_ms or DEFAULT_SESSION_TIMEOUT_MS
        client = KafkaConsumer(
            bootstrap_servers=self.servers,
            allow_auto_create_topics=False,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if from_beginning else "latest",
            session_timeout_ms=session,
            heartbeat_interval_ms=max(session // 4, 100),
            # Pick up topics created after subscribing (a new institution's submissions).
            metadata_max_age_ms=min(session, 5_000),
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            **self.options,
        )
        _forbid_auto_create(client)
        # Long enough for tansu (half the session) and Kafka's initial rebalance delay (3 s).
        adapter = KafkaGroupConsumer(client, join_wait=session / 1000 + 5)
        listener = _AssignListener(adapter, on_assign)
        if not isinstance(topics, re.Pattern):
            # A subscription no longer creates a missing topic (see ``_forbid_auto_create``)
            # and would wait for it: create it, with our partition count.
            for topic in topics:
                if topic not in self._known_topics:
                    self.create_topic(topic)
        if isinstance(topics, re.Pattern):
            # Our patterns match whole topic names; kafka-python only anchors the start.
            client.subscribe(pattern=rf"(?:{topics.pattern})\Z", listener=listener)
        else:
            client.subscribe(topics=list(topics), listener=listener)
        return adapter

    def reader(self, start: Mapping[TopicPartition, int]) -> KafkaReader:
        client = KafkaConsumer(
            bootstrap_servers=self.servers,
            allow_auto_create_topics=False,
            enable_auto_commit=False,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            **self.options,
        )
        _forbid_auto_create(client)
        try:
            client.assign([_to_kafka(tp) for tp in start])
            for tp, offset in start.items():
                client.seek(_to_kafka(tp), offset)
        except KafkaError as error:
            client.close(autocommit=False)
            raise BusError(f"cannot read {sorted(start)}: {error}") from error
        return KafkaReader(client)

    def close(self) -> None:
        for client in (self._producer, self._admin, self._metadata):
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()
        self._producer = self._admin = self._metadata = None
        self._tracked_topics.clear()  # a new producer starts with no tracked topics


def _records(batches: Mapping[KafkaTopicPartition, list[Any]]) -> list[Record]:
    return [
        Record(
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            key=r.key,
            value=r.value,
            headers=tuple(r.headers or ()),
            timestamp_ms=r.timestamp,
        )
        for _tp, records in sorted(batches.items())
        for r in records
    ]


class KafkaReader:
    """The port's reader: a ``KafkaConsumer`` with partitions assigned by hand, no group."""

    def __init__(self, client: KafkaConsumer) -> None:
        self.client = client

    def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        try:
            batches = self.client.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        except KafkaError as error:
            raise BusError(f"poll failed: {error}") from error
        return _records(batches)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(autocommit=False)


class _AssignListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, adapter: KafkaGroupConsumer, on_assign: AssignCallback | None) -> None:
        self.adapter = adapter
        self.on_assign = on_assign

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        # Runs on kafka-python's IO thread: the callback may seek, but must not block on the bus.
        if self.on_assign:
            self.on_assign(self.adapter, {_from_kafka(tp) for tp in assigned})


class KafkaGroupConsumer:
    """A consumer-group member: the port's consumer over ``KafkaConsumer``."""

    def __init__(self, client: KafkaConsumer, *, join_wait: float = 15.0) -> None:
        self.client = client
        self.join_wait = join_wait

    def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        try:
            self._finish_join()
            batches = self.client.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        except KafkaError as error:
            raise BusError(f"poll failed: {error}") from error
        self._unwedge()
        return _records(batches)

    def _finish_join(self) -> None:
        """While the member (re)joins its group, wait for the join itself, up to ``join_wait``.

        kafka-python 3.0 forgets a JoinGroup that completes between two polls and sends another:
        a member whose polls are shorter than a join (≈ half the session timeout on tansu, the
        initial rebalance delay on Apache Kafka) joined again and again, 5 s a time, while the
        demo's exchange polled in half seconds. Only the coordinator is waited for, so once the
        member has its partitions the caller's own timeout applies to the fetch.
        """
        coordinator: Any = getattr(self.client, "_coordinator", None)
        if coordinator is None or not (coordinator.rejoining or coordinator.need_rejoin()):
            return
        coordinator.poll(timeout_ms=int(self.join_wait * 1000))

    def _unwedge(self) -> None:
        """Rejoin when a join finished but its result was dropped (kafka-python 3.0).

        If ``poll`` times out while a JoinGroup the client started itself is in flight (a pattern
        matched a new topic), the finished join is never applied: the member stops heartbeating
        and keeps reading partitions the group has given away. Asking for a rejoin recovers it.
        (``_finish_join`` makes this rare: only a join longer than ``join_wait`` still ends so.)
        """
        coordinator: Any = getattr(self.client, "_coordinator", None)
        join = getattr(coordinator, "_join_task", None)
        if join is not None and join.is_done and not coordinator.need_rejoin():
            coordinator.request_rejoin()

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        kafka_offsets = None
        if offsets is not None:
            kafka_offsets = {
                _to_kafka(tp): OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()
            }
        try:
            self.client.commit(offsets=kafka_offsets)
        except CommitFailedError as error:
            raise CommitFailed(str(error)) from error
        except KafkaError as error:
            raise BusError(f"commit failed: {error}") from error

    def committed(self, tp: TopicPartition) -> int | None:
        result: int | None = self.client.committed(_to_kafka(tp))
        return result

    def assignment(self) -> set[TopicPartition]:
        return {_from_kafka(tp) for tp in self.client.assignment()}

    def position(self, tp: TopicPartition) -> int:
        result: int = self.client.position(_to_kafka(tp))
        return result

    def seek(self, tp: TopicPartition, offset: int) -> None:
        # kafka-python raises ValueError for a partition not assigned, which the runner would
        # take for a bug and stop on; a rebalance on the IO thread can take a partition between
        # ``assignment()`` and this call, a bus condition to wait out like any other.
        if _to_kafka(tp) not in self.client.assignment():
            raise BusError(f"{tp} is not assigned to this member")
        try:
            self.client.seek(_to_kafka(tp), offset)
        except ValueError as error:
            if _to_kafka(tp) in self.client.assignment():
                raise  # a bad offset: the caller's mistake
            raise BusError(f"{tp} is not assigned to this member") from error
        except KafkaError as error:
            raise BusError(f"seek {tp} failed: {error}") from error

    def seek_to_beginning(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        tps = [_to_kafka(tp) for tp in partitions] if partitions is not None else []
        self.client.seek_to_beginning(*tps)

    def close(self) -> None:
        # Leave the group without committing: what was not committed explicitly is redelivered.
        with contextlib.suppress(Exception):
            self.client.close(autocommit=False)
