"""`povezimo deploy render`: write deploy/ from services/operations/topology.py, the one place of
its settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from schemas.institutions import InstitutionRegistry
from services.cli.common import console, fail
from services.operations.topology import rendered

deploy_app = typer.Typer(help="The production deployment on Apache Kafka.")


@deploy_app.command("render")
def render(
    out: Annotated[Path, typer.Option("--out", help="The deploy directory.")] = Path("deploy"),
    institutions: Annotated[
        Path | None,
        typer.Option("--institutions", help="institutions.json; default: the seed network."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only say whether the files are up to date.")
    ] = False,
) -> None:
    """Compose file, topics, users and ACLs for every institution of the registry."""
    registry = (
        InstitutionRegistry.load(institutions) if institutions else InstitutionRegistry.default()
    )
    stale = []
    for name, text in rendered(registry).items():
        path = out / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if name.endswith(".sh"):
                path.chmod(0o755)
    if check and stale:
        fail("out_of_date", f"{', '.join(stale)} (run povezimo deploy render)")
    console().print(f"{'checked' if check else 'wrote'} {out}: {len(stale)} file(s) changed")
