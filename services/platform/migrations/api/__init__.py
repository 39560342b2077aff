"""Revisions of the api store (loaded by Alembic from this folder)."""
