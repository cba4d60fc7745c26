"""issue 14: due timers are claimed by one timer worker; PostgreSQL wakes the workers on a new timer

Revision ID: c4d1e2f3a414
Revises: issue17_work_groups
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.db  # noqa: F401

revision = 'c4d1e2f3a414'
down_revision = 'issue17_work_groups'
branch_labels = None
depends_on = None

# As engine.workflow.models.DUE_TIMER_NOTIFY_DDL at this revision (a migration keeps its own copy).
DUE_TIMER_NOTIFY_DDL = (
    "CREATE OR REPLACE FUNCTION carepath_notify_due_timer() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN PERFORM pg_notify('carepath_due_timer', ''); RETURN NULL; END $$",
    "CREATE TRIGGER due_timer_notify AFTER INSERT ON due_timer FOR EACH STATEMENT "
    "EXECUTE FUNCTION carepath_notify_due_timer()",
)
DUE_TIMER_NOTIFY_DROP = (
    "DROP TRIGGER IF EXISTS due_timer_notify ON due_timer",
    "DROP FUNCTION IF EXISTS carepath_notify_due_timer()",
)


def upgrade() -> None:
    with op.batch_alter_table('due_timer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', engine.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_due_timer_claimed_until'), ['claimed_until'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for statement in DUE_TIMER_NOTIFY_DDL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for statement in DUE_TIMER_NOTIFY_DROP:
            op.execute(statement)
    with op.batch_alter_table('due_timer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_due_timer_claimed_until'))
        batch_op.drop_column('claimed_until')
