"""When each event entered the outbox: how long the oldest unsent one has waited.

An event that waits in the outbox (the bus down, the relay stopped) may be an urgent measure
with a 48-hour clock; ``pending_since`` answers how long. Rows from before have no time (NULL).
"""

import sqlalchemy as sa
from alembic import op

revision = "outbox_0002"
down_revision = "outbox_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("producer_outbox", sa.Column("submitted_at_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("producer_outbox", "submitted_at_ms")
