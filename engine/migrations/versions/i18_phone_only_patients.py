"""accounts: a patient imported with only a mobile phone has no email until activation, and phones are
indexed to find them again (issue 18)

Revision ID: i18_phone_only_patients
Revises: i18_referral_columns
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'i18_phone_only_patients'
down_revision = 'i18_referral_columns'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The unique constraint stays: several NULLs do not collide in it (SQLite, PostgreSQL).
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        # A referral import looks patients up by phone (someone first known only by it).
        batch_op.create_index(batch_op.f('ix_user_account_phone'), ['phone'], unique=False)


def downgrade() -> None:
    # Accounts still without an email cannot go back to a NOT NULL column: they get a placeholder that
    # no mail server accepts (the .invalid top-level domain, RFC 2606).
    op.execute("UPDATE user_account SET email = 'no-email-' || id || '@carepath.invalid' WHERE email IS NULL")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_phone'))
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
