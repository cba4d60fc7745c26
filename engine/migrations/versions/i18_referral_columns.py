"""referral import: the header row and column choice of each table, each line as written, and the
remembered column choices per referring institution or header set (issue 18)

Revision ID: i18_referral_columns
Revises: 94139291599e
Create Date: 2026-12-07 08:00:00
"""
from alembic import op
import sqlalchemy as sa
import engine.db  # noqa: F401  (UTCDateTime columns render as engine.db.UTCDateTime)

revision = 'i18_referral_columns'
down_revision = '94139291599e'  # after issue 20's task rows
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referral_column_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'], name=op.f('fk_referral_column_mapping_updated_by_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_column_mapping')),
    sa.UniqueConstraint('key', name='uq_referral_column_mapping_key')
    )
    # Tables imported before this revision: header row 1, columns unknown (they were all recognised).
    with op.batch_alter_table('referral_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('header_line', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('columns', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('referral_row', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cells', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('referral_row', schema=None) as batch_op:
        batch_op.drop_column('cells')
    with op.batch_alter_table('referral_import', schema=None) as batch_op:
        batch_op.drop_column('columns')
        batch_op.drop_column('headers')
        batch_op.drop_column('header_line')
    op.drop_table('referral_column_mapping')
