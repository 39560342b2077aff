"""The `povezimo` console script's entry point: the command tree is imported when a command
runs, not when this module is.

A process that ``multiprocessing`` starts (spawn, as the replay's rebuild processes are) runs
the parent's main script again before its own work. With the tree imported at the script's top,
every rebuild process first imported the whole command line (the API, the bench, the reports)
and spent seconds of CPU on it before reading a record.
"""

from __future__ import annotations


def main() -> None:
    from services.cli.main import app

    app()
