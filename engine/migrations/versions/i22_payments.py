"""paid consultations: prices per service, contract texts and their signatures, payments (issue 22)

Revision ID: i22_payments
Revises: c4d1e2f3a414
Create Date: 2026-12-07 11:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.db  # noqa: F401  (UTCDateTime columns render as engine.db.UTCDateTime)

revision = 'i22_payments'
down_revision = 'c4d1e2f3a414'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('price_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('idempotence_key', sa.String(length=64), nullable=False),
    sa.Column('provider_payment_id', sa.String(length=80), nullable=True),
    sa.Column('confirmation_url', sa.String(length=500), nullable=False),
    sa.Column('pay_until', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refund_until', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('marked_paid_by', sa.Integer(), nullable=True),
    sa.Column('receipt_number', sa.String(length=30), nullable=False),
    sa.Column('ended_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refund_provider_id', sa.String(length=80), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('process_instance_id', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['marked_paid_by'], ['user_account.id'], name=op.f('fk_payment_marked_paid_by_user_account')),
    sa.ForeignKeyConstraint(['patient_id'], ['user_account.id'], name=op.f('fk_payment_patient_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('consultation_id', name=op.f('uq_payment_consultation_id')),
    sa.UniqueConstraint('idempotence_key', name=op.f('uq_payment_idempotence_key')),
    sa.UniqueConstraint('provider_payment_id', name=op.f('uq_payment_provider_payment_id'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_payment_status_until', ['status', 'pay_until'], unique=False)

    op.create_table('payment_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_payment_contract_created_by_user_account')),
    sa.ForeignKeyConstraint(['institution_id'], ['registry_institution.id'], name=op.f('fk_payment_contract_institution_id_registry_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_contract')),
    sa.UniqueConstraint('institution_id', 'version', name='uq_payment_contract_version')
    )
    with op.batch_alter_table('payment_contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_contract_institution_id'), ['institution_id'], unique=False)

    op.create_table('payment_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['registry_institution.id'], name=op.f('fk_payment_price_institution_id_registry_institution')),
    sa.ForeignKeyConstraint(['specialty_id'], ['registry_specialty.id'], name=op.f('fk_payment_price_specialty_id_registry_specialty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_price')),
    sa.UniqueConstraint('institution_id', 'specialty_id', 'kind', name='uq_payment_price_service')
    )
    with op.batch_alter_table('payment_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_price_institution_id'), ['institution_id'], unique=False)

    op.create_table('payment_contract_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('code_channel', sa.String(length=10), nullable=False),
    sa.Column('code_sent_to', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('signed_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('pdf_status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('verification_code', sa.String(length=43), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['payment_contract.id'], name=op.f('fk_payment_contract_signature_contract_id_payment_contract')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_payment_contract_signature_document_id_document')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_payment_contract_signature_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_contract_signature')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_payment_contract_signature_verification_code'))
    )
    with op.batch_alter_table('payment_contract_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_contract_signature_pdf_status'), ['pdf_status'], unique=False)
        batch_op.create_index('ix_payment_contract_signature_user', ['user_id', 'contract_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment_contract_signature', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_contract_signature_user')
        batch_op.drop_index(batch_op.f('ix_payment_contract_signature_pdf_status'))

    op.drop_table('payment_contract_signature')
    with op.batch_alter_table('payment_price', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_price_institution_id'))

    op.drop_table('payment_price')
    with op.batch_alter_table('payment_contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_contract_institution_id'))

    op.drop_table('payment_contract')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_status_until')
        batch_op.drop_index(batch_op.f('ix_payment_patient_id'))

    op.drop_table('payment')
