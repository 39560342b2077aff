"""What every command shares: the console, the common options, the one error style, and the
platform opened once (only where one exists, unless the command is one that starts it)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from schemas.institutions import Institution
from schemas.registry.port import RegistryError
from services.audit.erasure import ErasureRefused
from services.audit.identify import AccessRefused
from services.bootstrap import Platform, holds_platform, open_platform
from services.bus import BusError
from services.disclosure.model import ReleaseError
from services.disclosure.privacy import BudgetExhausted
from services.operations.restore import RestoreError
from services.platform.files import LooseFile
from services.platform.signing import SigningKeyError
from services.platform.vault import VaultError
from services.reports.programme import ReportError

BusOption = Annotated[
    str | None, typer.Option("--bus", help="kafka://…, sqlite:///… or postgresql://…")
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="The platform's data directory (default: POVEZIMO_DATA_DIR, else ./povezimo-data).",
    ),
]

# A piped table is read by a program or kept in a file: no width may cut an id in it.
PIPED_WIDTH = 100_000

USAGE = 2  # the exit status of a request the command cannot make sense of, as Click's own


def console(width: int = PIPED_WIDTH) -> Console:
    """Standard output; on a terminal Rich folds long values to fit, piped nothing is cut."""
    return Console() if sys.stdout.isatty() else Console(width=width)


# -- one error style ---------------------------------------------------------------------------


def fail(code: str, message: str, status: int = 1) -> NoReturn:
    """Stop the command: ``error: <code>: <message>`` on standard error, exit 1 for a failure
    (2 for a request the command cannot make sense of)."""
    typer.echo(f"error: {code}: {message}", err=True)
    raise typer.Exit(status)


# The errors a use case raises for a person to act on, with the code of those that carry none.
# A request the use case cannot make sense of is a usage error (2); the others are failures (1).
KNOWN_ERRORS: tuple[tuple[type[Exception], str, int], ...] = (
    (ReleaseError, "bad_request", USAGE),
    (ReportError, "bad_request", USAGE),
    (BudgetExhausted, "privacy_budget_exhausted", 1),
    (ErasureRefused, "erasure_refused", 1),
    (AccessRefused, "access_refused", 1),
    (RestoreError, "not_restored", 1),
    (LooseFile, "loose_file", 1),
    (SigningKeyError, "signing_key", 1),
    (VaultError, "vault", 1),
    (BusError, "bus_unavailable", 1),
    (RegistryError, "registry_unavailable", 1),
    (OperationalError, "store_unavailable", 1),
)


def _answer(error: Exception) -> NoReturn:
    for kind, code, status in KNOWN_ERRORS:
        if isinstance(error, kind):
            message = getattr(error, "reason", None) or str(error).removeprefix(f"{code}: ")
            first_line = (message.splitlines() or [type(error).__name__])[0]  # one error line
            fail(getattr(error, "code", code), first_line, status)
    raise error


P = ParamSpec("P")
R = TypeVar("R")


def answering(command: Callable[P, R]) -> Callable[P, R]:
    """The command, its known errors answered in the one style instead of a traceback."""

    @functools.wraps(command)
    def boundary(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except tuple(kind for kind, _, _ in KNOWN_ERRORS) as error:
            _answer(error)

    return boundary


def answer_errors(app: typer.Typer) -> None:
    """Put every command of ``app`` and of its groups behind the one error boundary."""
    for info in app.registered_commands:
        if info.callback is not None:
            info.callback = answering(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            answer_errors(group.typer_instance)


def _click_refusal(error: BaseException) -> tuple[str, int] | None:
    """The message and exit status of Click's own refusal (an unknown option or command, a
    missing argument, a value not among the choices), which Typer raises from its bundled Click;
    recognised by what it has, since that Click is not a public module."""
    format_message = getattr(error, "format_message", None)
    status = getattr(error, "exit_code", None)
    if not callable(format_message) or not isinstance(status, int):
        return None
    return " ".join(str(format_message()).split()), status  # one line, as every error


class OneErrorStyle(TyperGroup):
    """The command line's group: Click's own refusals in the one style too, not in a box."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        try:
            status = super().main(*args, **{**kwargs, "standalone_mode": False})
        except typer.Abort:
            typer.echo("error: aborted: stopped before it finished", err=True)
            sys.exit(1)
        except Exception as error:
            refusal = _click_refusal(error)
            if refusal is None:
                raise
            message, code = refusal
            command = getattr(getattr(error, "ctx", None), "command_path", "povezimo")
            typer.echo(f"error: usage: {message} (`{command} --help` shows the options)", err=True)
            sys.exit(code)
        sys.exit(status if isinstance(status, int) else 0)


# -- the platform ------------------------------------------------------------------------------


def _no_platform(directory: Path) -> NoReturn:
    fail(
        "no_platform",
        f"{directory.absolute()} holds no Povezimo platform; run `povezimo demo` to create one, "
        "or pass --data-dir",
    )


@contextmanager
def platform(
    bus: str | None = None, data_dir: Path | None = None, *, creates: bool = False
) -> Iterator[Platform]:
    """The platform the options name (settings from the environment otherwise), closed after.

    Only a command that starts the platform (``creates``) may begin on a directory that holds
    none; any other would leave empty stores behind, and answer from them, in the wrong folder."""
    system = open_platform(bus, data_dir)
    try:
        directory = system.settings.data_dir
        if data_dir is None:  # a person in the wrong folder notices it here
            typer.echo(
                f"using data directory {directory.absolute()} "
                "(POVEZIMO_DATA_DIR or --data-dir to change)",
                err=True,
            )
        if not creates and not holds_platform(system.settings):
            _no_platform(directory)
        system.settings.ensure_data_dir()  # refuses loose stores before anything is opened
        if creates:
            system.institutions  # noqa: B018 - its registry file marks the directory as ours
        yield system
    finally:
        system.close()


def data_directory(data_dir: Path | None) -> Path:
    """The checked data directory of a command that reads its files without the platform."""
    with platform(data_dir=data_dir) as system:
        return system.settings.data_dir


def require_institution(system: Platform, institution: str) -> Institution:
    """The registered institution of that id, or a stop that says where the valid ones are."""
    found = system.institutions.get(institution)
    if found is None:
        fail(
            "unknown_institution",
            f"{institution!r} is not a registered institution (`povezimo institutions list` "
            "lists them)",
        )
    return found


def require_symbol(option: str, value: str, valid: Sequence[str]) -> None:
    """A usage error unless ``value`` is one of the schema's symbols, listing them."""
    if value not in valid:
        fail(
            f"unknown_{option.strip('-')}",
            f"{value!r}: {option} is one of {', '.join(valid)}",
            USAGE,
        )
