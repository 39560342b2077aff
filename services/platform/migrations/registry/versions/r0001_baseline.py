"""Baseline: the embedded registry's tables as the release before Alembic made them; a registry
made then is adopted as it is (``if_not_exists``: one made before soft deletes or rules gets
those tables, as ``create_all`` gave them)."""

import sqlalchemy as sa
from alembic import op

revision = "registry_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_schemas",
        sa.Column("schema_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("schema", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        if_not_exists=True,
    )
    op.create_table(
        "registry_versions",
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("schema_id", sa.Integer(), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "registry_deleted_versions",
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        if_not_exists=True,
    )
    op.create_table(
        "registry_rules",
        sa.Column("scope", sa.String(255), primary_key=True),
        sa.Column("compatibility", sa.String(32), nullable=True),
        sa.Column("mode", sa.String(32), nullable=True),
        if_not_exists=True,
    )


def downgrade() -> None:
    for table in ("registry_rules", "registry_deleted_versions", "registry_versions"):
        op.drop_table(table)
    op.drop_table("registry_schemas")
