"""What every command shares: the console, the common options, and the platform opened once."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from services.bootstrap import Platform, open_platform
from services.platform.files import LooseFile

BusOption = Annotated[
    str | None, typer.Option("--bus", help="kafka://…, sqlite:///… or postgresql://…")
]
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Where embedded data lives.")
]


def console(width: int = 120) -> Console:
    """Standard output; piped (CI logs, files) it gets a width that fits our tables, not 80."""
    return Console() if sys.stdout.isatty() else Console(width=width)


@contextmanager
def platform(bus: str | None = None, data_dir: Path | None = None) -> Iterator[Platform]:
    """The platform the options name (settings from the environment otherwise), closed after.

    A store or key that other accounts may read stops the command with the file and the fix."""
    system = open_platform(bus, data_dir)
    try:
        system.settings.ensure_data_dir()  # refuses loose stores before anything is opened
        yield system
    except LooseFile as loose:
        fail(str(loose), 1)
    finally:
        system.close()


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop the command: the message on standard error, and the exit code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
