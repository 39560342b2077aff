"""`python -m services.cli`: the same as the `povezimo` console script."""

from services.cli.main import app

app()
