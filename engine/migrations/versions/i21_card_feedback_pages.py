"""issue 21: feedback messages with their answers, the captcha challenges already used, and the
information pages with their versions

Revision ID: i21_card_feedback_pages
Revises: i22_payments
"""
from alembic import op
import sqlalchemy as sa

from engine.db import UTCDateTime

revision = 'i21_card_feedback_pages'
down_revision = 'i22_payments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['institution_id'], ['registry_institution.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_feedback_message_created_at'), 'feedback_message', ['created_at'], unique=False)
    op.create_index(op.f('ix_feedback_message_status'), 'feedback_message', ['status'], unique=False)
    op.create_table('feedback_spent_challenge',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('nonce')
    )
    op.create_index(op.f('ix_feedback_spent_challenge_expires_at'), 'feedback_spent_challenge', ['expires_at'], unique=False)
    op.create_table('info_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('in_menu', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('info_page_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title_ru', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('body_ru', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=False),
    sa.Column('changed_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['page_id'], ['info_page.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('page_id', 'number')
    )
    op.create_index(op.f('ix_info_page_version_page_id'), 'info_page_version', ['page_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_info_page_version_page_id'), table_name='info_page_version')
    op.drop_table('info_page_version')
    op.drop_table('info_page')
    op.drop_index(op.f('ix_feedback_spent_challenge_expires_at'), table_name='feedback_spent_challenge')
    op.drop_table('feedback_spent_challenge')
    op.drop_index(op.f('ix_feedback_message_status'), table_name='feedback_message')
    op.drop_index(op.f('ix_feedback_message_created_at'), table_name='feedback_message')
    op.drop_table('feedback_message')
