"""work groups: the people of BPMN lanes that are not roles (SpiffArena's group lanes)

Revision ID: issue17_work_groups
Revises: i16a_patient_start
"""
from alembic import op
import sqlalchemy as sa

revision = 'issue17_work_groups'
down_revision = 'i16a_patient_start'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('work_group_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_name', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_name', 'user_id', name='uq_work_group_member')
    )
    op.create_index(op.f('ix_work_group_member_group_name'), 'work_group_member', ['group_name'], unique=False)
    op.create_index(op.f('ix_work_group_member_user_id'), 'work_group_member', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_work_group_member_user_id'), table_name='work_group_member')
    op.drop_index(op.f('ix_work_group_member_group_name'), table_name='work_group_member')
    op.drop_table('work_group_member')
