"""The ``povezimo`` command: every command group assembled on one Typer application."""

from __future__ import annotations

import typer

from services.cli import (
    aggregate,
    asyncapi,
    audit,
    bench,
    demo,
    deploy,
    importing,
    institutions,
    projections,
    report,
    restore,
    schemas,
    serve,
    users,
)
from services.cli.common import OneErrorStyle, answer_errors
from services.platform.files import owner_only_process

app = typer.Typer(
    cls=OneErrorStyle, help="Povezimo: institutions acting together on domestic-violence cases."
)


@app.callback()
def _every_command() -> None:
    """Povezimo: institutions acting together on domestic-violence cases."""
    owner_only_process()  # whatever a command creates (stores, keys, reports) is its owner's


app.command()(demo.demo)
app.command()(serve.serve)
app.command()(projections.run)
app.command()(projections.replay)
app.command()(aggregate.aggregate)
app.command("erase")(audit.erase_command)
app.command("identify")(audit.identify_command)
app.command("restore")(restore.restore_command)
app.command("bench")(bench.bench)
app.command("asyncapi")(asyncapi.asyncapi_command)
app.add_typer(schemas.schemas_app, name="schemas")
app.add_typer(schemas.topics_app, name="topics")
app.add_typer(
    institutions.institutions_app, name="institutions", help="The institutions of the region."
)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(serve.tokens_app, name="tokens", help="Bearer tokens of the HTTP API.")
app.add_typer(importing.import_app, name="import")
app.add_typer(deploy.deploy_app, name="deploy")
app.add_typer(restore.outbox_app, name="outbox")
app.add_typer(report.report_app, name="report")
app.add_typer(users.users_app, name="users", help="Staff accounts of the web portal.")
answer_errors(app)  # last: every command registered above answers in the one error style

if __name__ == "__main__":
    app()
