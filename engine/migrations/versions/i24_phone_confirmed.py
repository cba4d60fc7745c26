"""accounts: when the mobile phone was confirmed (the second factor goes by SMS only to a confirmed
phone; issue 24)

Revision ID: i24_phone_confirmed
Revises: i23_shared_files
Create Date: 2026-12-07 11:10:00
"""
from alembic import op
import sqlalchemy as sa

import engine.db

revision = 'i24_phone_confirmed'
down_revision = 'i23_shared_files'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_confirmed_at', engine.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('phone_confirmed_at')
