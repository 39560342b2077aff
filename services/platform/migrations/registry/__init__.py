"""Revisions of the registry store (loaded by Alembic from this folder)."""
