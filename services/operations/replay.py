"""Rebuilding projections from offset 0 of ``case-events``: partitions side by side.

Every chosen projection is reset, then rebuilt by ``consumers.rebuilder.Rebuilder``s that each own
some partitions of ``case-events`` and feed every projection at once (one read and one decode per
record). A case lives on one partition, so its events reach one rebuilder in order; what crosses
cases (repeat victimisation in the aggregate) is judged when a chunk is written, and writers of
one database take turns. With more than one share each runs in a process of its own and reports
its progress over a queue. The processes are forked by a fork server (``multiprocessing``'s
``forkserver``) that imported this module once: nothing of the caller is inherited (no engines,
sockets or threads), and the imports — a second or two of CPU each — are paid once, not once per
process. Where there is no fork server (Windows), each process is spawned and imports for itself.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import queue
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from consumers.blue_green import build_and_switch, build_place
from consumers.event_projection import EventProjection
from consumers.pipeline import partitions_of
from consumers.rebuilder import Rebuilder, Share
from schemas.topics import CASE_EVENTS
from services.bootstrap import Platform
from services.platform.memory import peak_proportional_mb, peak_rss_mb, proportional_mb
from services.platform.settings import Settings
from services.platform.sql import reader_indexes

# What every rebuild process needs, imported by the fork server before it forks any of them;
# then the objects made so far are frozen, so that its processes keep sharing their pages.
PRELOADED = ("services.operations.replay", "services.operations.frozen_imports")


@dataclass(frozen=True)
class Rebuilt:
    name: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class ShareDone:
    """What one rebuilder did (the benchmark reads its time, CPU and memory)."""

    index: int
    events: int
    seconds: float
    cpu_seconds: float
    join_seconds: float  # of ``seconds``: until the first chunk came (a group join on Kafka)
    write_seconds: float  # of ``seconds``: writing chunks (committing included)
    wait_seconds: float  # of ``seconds``: waiting for the writer lock (others writing)
    peak_rss_mb: float
    # PSS (shared pages split between the processes sharing them): the peak from above, and the
    # process it was forked from (the fork server, whose imports it shares) now; 0 in the caller.
    peak_pss_mb: float = 0.0
    parent_pss_mb: float = 0.0


def default_workers(partitions: int) -> int:
    """One rebuilder per partition, as long as that keeps every core busy without crowding it:
    three partitions on two cores run as three processes (two would leave one doing twice the
    work of the other)."""
    cores = os.cpu_count() or 1
    return max(1, min(partitions, 2 * cores))


def shares_of(system: Platform, workers: int | None = None) -> list[Share]:
    """The partitions of ``case-events`` dealt out to ``workers`` rebuilders, with their ends."""
    partitions = partitions_of(system.bus, [CASE_EVENTS])
    ends = system.bus.end_offsets(partitions)
    count = max(1, min(workers or default_workers(len(partitions)), len(partitions)))
    return [Share(tuple(partitions[i::count]), ends) for i in range(count)]


def rebuild(
    system: Platform,
    names: Sequence[str],
    progress: Callable[[str, int], object],
    *,
    workers: int | None = None,
    done: list[ShareDone] | None = None,
    timings: dict[str, float] | None = None,
) -> list[Rebuilt]:
    """Reset and rebuild ``names``; ``progress(name, applied)`` as chunks are written.

    ``done`` (when given) receives each rebuilder's own figures, ``timings["indexes"]`` the
    seconds spent building the readers' indexes at the end (see
    ``services.platform.sql.reader_index``).
    """
    chosen = [system.projections()[name] for name in names]  # built anew on every call
    shares = shares_of(system, workers)  # the log's ends: a reset does not move them
    if len(shares) > 1:
        _process_context()  # a fork server imports the rebuild while the stores are reset
    for projection in chosen:
        runner = system.runner(projection)
        runner.reset()
        runner.close()
    indexes = [
        (system.engine_for(projection), index)
        for projection in chosen
        for index in reader_indexes(projection.tables)
    ]
    for engine, index in indexes:
        index.drop(engine, checkfirst=True)
    started = time.perf_counter()
    finished: list[ShareDone] = []
    try:
        if len(shares) == 1:
            finished.append(_rebuild_share(system, names, shares[0], 0, len(shares), progress))
        else:
            finished = _in_processes(system, names, shares, progress)
    finally:
        # Built also when the rebuild failed: the readers' queries stay indexed either way.
        indexing = time.perf_counter()
        for engine, index in indexes:
            index.create(engine, checkfirst=True)
        if timings is not None:
            timings["indexes"] = time.perf_counter() - indexing
    elapsed = time.perf_counter() - started
    if done is not None:
        done.extend(finished)
    total = sum(share.events for share in shares)
    return [Rebuilt(name, total, elapsed) for name in names]


def rebuild_online(
    system: Platform,
    names: Sequence[str],
    progress: Callable[[str, int], object],
    *,
    workers: int | None = None,
    done: list[ShareDone] | None = None,
) -> list[Rebuilt]:
    """Rebuild ``names`` beside the live tables, which keep serving, then switch to them.

    The projections are rebuilt as ``rebuild`` does (partitions side by side) into new SQLite
    files next to their live databases, or new PostgreSQL schemas of them, brought up to the
    log's end, then each switched in one transaction (``consumers.blue_green``): a live runner
    elsewhere goes on from the new offsets.
    """
    chosen = {name: system.projections()[name] for name in names}
    live = {name: system.engine_for(projection) for name, projection in chosen.items()}
    tag = uuid.uuid4().hex[:8]
    places = {engine: build_place(engine, "replay", tag) for engine in set(live.values())}
    urls = {"views_url": system.views_engine, "aggregate_url": system.aggregate_engine}
    # The projections' databases are the new places; every other store stays the live one. Made
    # anew, not copied: a copy would keep the resolved URLs the settings cache.
    build_settings = Settings(
        **system.settings.model_dump()
        | {key: places[engine].url for key, engine in urls.items() if engine in places}
        | {
            "exchange_url": system.settings.resolved_exchange_url,
            "archive_url": system.settings.resolved_archive_url,
        }
    )
    for engine, place in places.items():
        place.prepare(engine)
    try:
        builder = Platform(build_settings, session_timeout_ms=system.session_timeout_ms)
        try:
            rebuilt = rebuild(builder, names, progress, workers=workers, done=done)
        finally:
            builder.close()
        for name in chosen:
            build_and_switch(
                system.projections()[name],  # a fresh instance: nothing cached of either place
                live[name],
                places[live[name]],
                system.bus,
                session_timeout_ms=system.session_timeout_ms or system.settings.session_timeout_ms,
            )
    finally:
        for engine, place in places.items():
            place.discard(engine)
    return rebuilt


def _rebuild_share(
    system: Platform,
    names: Sequence[str],
    share: Share,
    index: int,
    count: int,
    progress: Callable[[str, int], object],
    *,
    forked: bool = False,
) -> ShareDone:
    projections: list[EventProjection] = []
    for name in names:
        projection = system.projections()[name]
        if not isinstance(projection, EventProjection):
            raise ValueError(f"{name} is not a projection of case-events")
        projections.append(projection)
    rebuilder = Rebuilder(projections, system.engine_for, system.bus, system.codec)
    started, cpu_started = time.perf_counter(), time.process_time()

    def advance(count: int) -> None:
        for name in names:
            progress(name, count)

    events = rebuilder.run(
        share,
        f"rebuild.{'+'.join(names)}.{index + 1}-of-{count}",
        advance,
        session_timeout_ms=system.session_timeout_ms or system.settings.session_timeout_ms,
    )
    return ShareDone(
        index,
        events,
        time.perf_counter() - started,
        time.process_time() - cpu_started,
        rebuilder.joined_after,
        rebuilder.write_seconds,
        rebuilder.wait_seconds,
        peak_rss_mb(),
        peak_proportional_mb(),
        (proportional_mb(os.getppid()) or 0.0) if forked else 0.0,
    )


def _in_processes(
    system: Platform,
    names: Sequence[str],
    shares: list[Share],
    progress: Callable[[str, int], object],
) -> list[ShareDone]:
    context = _process_context()
    updates: multiprocessing.Queue[tuple[str, Any]] = context.Queue()
    workers = [
        context.Process(  # type: ignore[attr-defined]
            target=_rebuild_in_child,
            args=(
                system.settings,
                system.session_timeout_ms,
                list(names),
                share,
                i,
                len(shares),
                updates,
            ),
            name=f"rebuild-{i + 1}-of-{len(shares)}",
            daemon=True,
        )
        for i, share in enumerate(shares)
    ]
    for worker in workers:
        worker.start()
    try:
        return _collect(workers, updates, progress)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
            worker.join(10)


def _process_context() -> Any:
    """What starts the rebuild processes: the fork server, started (once per process that
    rebuilds) with this module imported; spawning where there is none."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOADED))
    multiprocessing.forkserver.ensure_running()
    return context


def _collect(
    workers: list[Any],
    updates: multiprocessing.Queue[tuple[str, Any]],
    progress: Callable[[str, int], object],
) -> list[ShareDone]:
    done: list[ShareDone] = []
    while len(done) < len(workers):
        try:
            name, update = updates.get(timeout=1.0)
        except queue.Empty:
            failed = [w for w in workers if not w.is_alive() and w.exitcode != 0]
            if failed:
                raise RuntimeError(f"{failed[0].name} exited with {failed[0].exitcode}") from None
            continue
        if isinstance(update, ShareDone):
            done.append(update)
        elif isinstance(update, BaseException):
            raise RuntimeError(f"rebuilding failed: {update!r}") from update
        else:
            progress(name, update)
    return sorted(done, key=lambda d: d.index)


def _rebuild_in_child(
    settings: Settings,
    session_timeout_ms: int | None,
    names: list[str],
    share: Share,
    index: int,
    count: int,
    updates: multiprocessing.Queue[tuple[str, Any]],
) -> None:
    system = Platform(settings, session_timeout_ms)
    try:
        done = _rebuild_share(
            system,
            names,
            share,
            index,
            count,
            lambda name, n: updates.put((name, n)),
            forked=True,
        )
        updates.put(("", done))
    except Exception as error:
        updates.put(("", RuntimeError(f"{type(error).__name__}: {error}")))
        raise
    finally:
        system.close()
