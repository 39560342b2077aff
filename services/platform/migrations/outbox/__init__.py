"""Revisions of the outbox store (loaded by Alembic from this folder)."""
