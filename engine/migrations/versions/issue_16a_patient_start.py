"""issue 16a: a model version records whether (and with which start form) a patient may start it

Revision ID: i16a_patient_start
Revises: issue16b0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'i16a_patient_start'
down_revision = 'issue16b0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_model_version') as batch:
        batch.add_column(sa.Column('patient_start', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_model_version') as batch:
        batch.drop_column('patient_start')
