"""Revisions of the vault store (loaded by Alembic from this folder)."""
