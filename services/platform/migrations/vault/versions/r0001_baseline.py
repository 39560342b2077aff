"""Baseline: the vault's keys as the release before Alembic made them.

A vault made before Alembic already has the table: ``if_not_exists`` leaves it as it is and the
version row adopts it.
"""

import sqlalchemy as sa
from alembic import op

revision = "vault_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_keys",
        sa.Column("subject_id", sa.String(36), primary_key=True),
        sa.Column("key_id", sa.String(36), nullable=False, unique=True),
        sa.Column("data_key", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("vault_keys")
