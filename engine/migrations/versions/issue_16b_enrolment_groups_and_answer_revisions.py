"""issue 16b: enrolment from an account into a chosen group; corrected monitoring answers kept, days reviewed

Revision ID: issue16b0001
Revises: i18_phone_only_patients
Create Date: 2026-12-07 08:30:00
"""
from alembic import op
import sqlalchemy as sa
import engine.db  # noqa: F401  (UTCDateTime columns render as engine.db.UTCDateTime)

revision = 'issue16b0001'
down_revision = 'i18_phone_only_patients'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rehab_enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_account', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('group_key', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('group_title', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('group_instructor_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('monitoring_questionnaire', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_at', engine.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.Integer(), nullable=True))
    op.create_table('monitoring_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('answered_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revised_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revised_by', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['monitoring_questionnaire.id'], name=op.f('fk_monitoring_revision_questionnaire_id_monitoring_questionnaire'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_revision'))
    )
    with op.batch_alter_table('monitoring_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_revision_questionnaire_id'), ['questionnaire_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('monitoring_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_revision_questionnaire_id'))
    op.drop_table('monitoring_revision')
    with op.batch_alter_table('monitoring_questionnaire', schema=None) as batch_op:
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('reviewed_at')
    with op.batch_alter_table('rehab_enrolment', schema=None) as batch_op:
        batch_op.drop_column('group_instructor_id')
        batch_op.drop_column('group_title')
        batch_op.drop_column('group_key')
        batch_op.drop_column('from_account')
