"""Baseline: the API's own tables (tokens, submissions awaiting the exchange's decision) as the
release before Alembic made them; a store made then is adopted as it is (``if_not_exists``)."""

import sqlalchemy as sa
from alembic import op

revision = "api_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(36), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("institution", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        if_not_exists=True,
    )
    op.create_table(
        "api_submissions",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("institution", sa.String(120), nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("api_submissions")
    op.drop_table("api_tokens")
