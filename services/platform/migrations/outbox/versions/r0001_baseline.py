"""Baseline: the producer outbox as the release before Alembic made it.

An outbox made before Alembic already has the table: ``if_not_exists`` leaves it (and its rows)
as they are and the version row adopts it.
"""

import sqlalchemy as sa
from alembic import op

revision = "outbox_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "producer_outbox",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("institution", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at_ms", sa.BigInteger(), nullable=True),
        if_not_exists=True,
    )
    op.create_index(
        "ix_producer_outbox_institution", "producer_outbox", ["institution"], if_not_exists=True
    )
    op.create_index("ix_producer_outbox_sent", "producer_outbox", ["sent"], if_not_exists=True)


def downgrade() -> None:
    op.drop_table("producer_outbox")
