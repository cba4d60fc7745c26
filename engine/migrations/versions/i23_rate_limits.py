"""issue 23: Flask-Limiter's counters shared by every web process (rate_limit_counter)

Revision ID: i23_rate_limits
Revises: i24_phone_confirmed
"""

import sqlalchemy as sa
from alembic import op

from engine.db import UTCDateTime

revision = "i23_rate_limits"
down_revision = "i24_phone_confirmed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_counter")
