"""`povezimo bench`: replay, peer, ingest and referral latency, measured in one run."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from services.bench.databases import is_postgresql
from services.bench.suite import MEASUREMENTS, BenchOptions
from services.cli.common import USAGE, console, fail


def _numbers(text: str) -> list[int]:
    try:
        found = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        fail("bad_sizes", f"--sizes {text!r}: give event counts like 10000,100000", USAGE)
    if not found or min(found) < 100:
        fail("bad_sizes", f"--sizes {text!r}: every size must be at least 100 events", USAGE)
    return found


def bench(
    sizes: Annotated[
        str, typer.Option("--sizes", help="Event counts to replay, comma-separated.")
    ] = "10000,100000,1000000",
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="Repetitions of each.")] = 3,
    bus: Annotated[str, typer.Option("--bus", help="sqlite, kafka or both.")] = "both",
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help=f"Measure only this (repeatable): {', '.join(MEASUREMENTS)}."),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write every repetition here as JSON.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same events.")] = 2006,
    latency_seconds: Annotated[
        float, typer.Option(help="Length of each referral-latency run.")
    ] = 60.0,
    work_dir: Annotated[
        Path | None, typer.Option("--work-dir", help="Where the runs keep their data (temp).")
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="A postgresql:// database: the replay again with every projection's store in "
            "fresh schemas there (dropped afterwards).",
        ),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Also print the table as Markdown.")
    ] = False,
) -> None:
    """Measure replay, a peer, ingest and referral latency against their ceilings."""
    from services.bench import report
    from services.bench.suite import run_bench

    out = console(width=160)
    buses = {"both": ["sqlite", "kafka"], "sqlite": ["sqlite"], "kafka": ["kafka"]}.get(bus)
    if buses is None:
        fail("unknown_bus", f"--bus {bus!r}: choose sqlite, kafka or both", USAGE)
    chosen = list(only or MEASUREMENTS)
    unknown = sorted(set(chosen) - set(MEASUREMENTS))
    if unknown:
        fail("unknown_measurement", f"--only {unknown}: one of {', '.join(MEASUREMENTS)}", USAGE)
    if database is not None and not is_postgresql(database):
        fail("bad_database", f"--database {database!r}: give a postgresql:// URL", USAGE)
    options = BenchOptions(
        sizes=_numbers(sizes),
        repeat=repeat,
        buses=buses,
        only=chosen,
        seed=seed,
        latency_seconds=latency_seconds,
        database=database,
    )
    with tempfile.TemporaryDirectory(prefix="povezimo-bench-") as scratch:
        results = run_bench(options, work_dir or Path(scratch), out)
    out.print(report.table(results))
    if markdown:
        out.print(report.markdown(results), markup=False, highlight=False)
    if json_file:
        report.write_json(results, json_file)
        out.print(f"every repetition in {json_file}")
