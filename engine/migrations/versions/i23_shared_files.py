"""issue 23: the shared file store (stored_file) and the CA's files (key_file) for several hosts

Revision ID: i23_shared_files
Revises: i21_card_feedback_pages
"""

import sqlalchemy as sa
from alembic import op

from engine.db import UTCDateTime

revision = "i23_shared_files"
down_revision = "i21_card_feedback_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_file",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "key_file",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("key_file")
    op.drop_table("stored_file")
