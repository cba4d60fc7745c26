"""Tables of paid services: prices, payments, contract texts and their signatures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.audit import ACTIONS
from engine.clock import now
from engine.db import Base, UTCDateTime
from engine.i18n import N_

# The kind of service a price is for.
ONLINE = "online"
IN_PERSON = "in_person"
KINDS = (ONLINE, IN_PERSON)
CURRENCY = "RUB"

# A payment's life: awaiting (held, the slot kept until pay_until) -> paid -> refund_pending -> refunded;
# or released (unpaid by the deadline) / voided (cancelled before paying).
AWAITING = "awaiting"
PAID = "paid"
RELEASED = "released"
VOIDED = "voided"
REFUND_PENDING = "refund_pending"
REFUNDED = "refunded"
STATUSES = (AWAITING, PAID, RELEASED, VOIDED, REFUND_PENDING, REFUNDED)

# Signed contracts' PDFs, as the signed consents: pending until the background work seals them.
PDF_PENDING = "pending"
PDF_RENDERED = "rendered"
PDF_FAILED = "failed"
CODE_CHANNELS = ("email", "sms")

# Journal entries of this area (engine.audit checks every action against this table).
ACTIONS.update({
    "price_set": N_("Service price set"),
    "contract_published": N_("Contract text published"),
    "contract_code_sent": N_("Contract signing code sent"),
    "contract_signed": N_("Contract signed"),
    "contract_sealed": N_("Signed contract sealed as a PDF"),
    "payment_held": N_("Booking held until paid"),
    "payment_started": N_("Online payment started"),
    "payment_received": N_("Payment received"),
    "payment_released": N_("Unpaid booking released"),
    "payment_voided": N_("Unpaid booking cancelled"),
    "payment_refund_requested": N_("Refund requested"),
    "payment_refunded": N_("Payment refunded"),
    "payment_notice_ignored": N_("Payment notification ignored"),
})


class ServicePrice(Base):
    """What a service costs: an institution's consultation in a specialty, online or in person. No row (or
    an inactive one) means the service is free, as all were before."""

    __tablename__ = "payment_price"
    __table_args__ = (UniqueConstraint("institution_id", "specialty_id", "kind", name="uq_payment_price_service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("registry_institution.id"), index=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("registry_specialty.id"))
    kind: Mapped[str] = mapped_column(String(10), default=ONLINE)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default=CURRENCY)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ContractText(Base):
    """One version of an institution's contract for paid services (Markdown). Versions only grow: a
    published text never changes, so a signature always names the exact text signed."""

    __tablename__ = "payment_contract"
    __table_args__ = (UniqueConstraint("institution_id", "version", name="uq_payment_contract_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("registry_institution.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ContractSignature(Base):
    """A simple electronic signature of a contract version: who, when, which version, by a code sent to
    which channel, from which address; its PDF is sealed later with the platform's signature."""

    __tablename__ = "payment_contract_signature"
    __table_args__ = (Index("ix_payment_contract_signature_user", "user_id", "contract_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("payment_contract.id"))
    institution_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))
    code_channel: Mapped[str] = mapped_column(String(10))
    code_sent_to: Mapped[str] = mapped_column(String(254), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    pdf_status: Mapped[str] = mapped_column(String(12), default=PDF_PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    verification_code: Mapped[str] = mapped_column(String(43), unique=True)


class Payment(Base):
    """The payment for one paid consultation. `idempotence_key` goes with every creation request, so a
    second click or a retry never makes a second charge; `provider_payment_id` is the charge at the
    provider (YooKassa's payment id; the desk's own for the clinic)."""

    __tablename__ = "payment"
    __table_args__ = (Index("ix_payment_status_until", "status", "pay_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(Integer, unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    institution_id: Mapped[int] = mapped_column(Integer)
    price_id: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default=CURRENCY)
    provider: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=AWAITING)
    idempotence_key: Mapped[str] = mapped_column(String(64), unique=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    confirmation_url: Mapped[str] = mapped_column(String(500), default="")
    pay_until: Mapped[datetime] = mapped_column(UTCDateTime)
    refund_until: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marked_paid_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    receipt_number: Mapped[str] = mapped_column(String(30), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_provider_id: Mapped[str] = mapped_column(String(80), default="")
    last_error: Mapped[str | None] = mapped_column(Text)
    process_instance_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    @property
    def reference(self) -> str:
        """What goes to the provider's metadata, so a notice names our payment."""
        return f"payment:{self.id}"


# Providers (integrations/payments) by the name CAREPATH_PAYMENT_PROVIDER gives; the first is the default.
CLINIC = "clinic"
YOOKASSA = "yookassa"
PROVIDERS = (CLINIC, YOOKASSA)


def provider_name(extra: dict[str, str] | None) -> str:
    """The configured provider's name (checked at start by integrations.payments.settings)."""
    value = ((extra or {}).get("CAREPATH_PAYMENT_PROVIDER") or CLINIC).strip().lower()
    return value if value in PROVIDERS else CLINIC
