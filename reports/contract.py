"""A signed contract for paid services as an A4 PDF, sealed with the platform's signature.

The layout is the consent's (reports.consent): the exact text signed, then the record of the simple
electronic signature — who, when, how (the one-time code and where it was sent, partly hidden), from
which address, which version and its SHA-256 — and the organization's signature stamp.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reports.consent import ConsentData, render_consent
from reports.signing import SignedDocuments, sign_pdf, stamp_of

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "accepted": "Договор подписан простой электронной подписью",
        "accepted_at": "Дата и время подписания",
        "method": "Способ",
        "method_value": "одноразовый код, отправленный %(where)s и введённый в личном кабинете CarePath",
        "email": "на электронную почту %(to)s",
        "sms": "в SMS на номер %(to)s",
        "version": "Редакция договора",
        "sha": "SHA-256 текста договора",
        "doc_title": "Договор на оказание платных медицинских услуг № %(number)s",
        "reason": "Договор на оказание платных медицинских услуг",
        "subject": "Договор на оказание платных медицинских услуг",
    },
    "en": {
        "accepted": "Contract signed with a simple electronic signature",
        "accepted_at": "Signed at",
        "method": "How",
        "method_value": "a one-time code sent %(where)s and entered in the CarePath cabinet",
        "email": "to the email %(to)s",
        "sms": "by SMS to %(to)s",
        "version": "Contract version",
        "sha": "SHA-256 of the contract text",
        "doc_title": "Contract for paid medical services No. %(number)s",
        "reason": "Contract for paid medical services",
        "subject": "Contract for paid medical services",
    },
}
_HEADING = re.compile(r"^#{1,6}\s*(.+)$", re.MULTILINE)


def masked(address: str) -> str:
    """Enough of the address to recognise it, not enough to harvest it: i***@example.ru, +7***4567."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{address[:2]}***{address[-4:]}" if len(address) > 6 else "***"


def contract_labels(locale: str, channel: str, sent_to: str) -> dict[str, str]:
    lab = dict(LABELS.get(locale, LABELS["ru"]))
    where = lab.get(channel, lab["email"]) % {"to": masked(sent_to)}
    lab["method_value"] = lab["method_value"] % {"where": where}
    return lab


def contract_pdf(documents: SignedDocuments, content: Mapping[str, Any]) -> bytes:
    values = dict(content)
    labels = contract_labels(values["locale"], values.pop("code_channel", "email"), values.pop("code_sent_to", ""))
    # The consent layout knows paragraphs and **bold**: headings of the contract's Markdown become bold lines.
    values["text"] = _HEADING.sub(r"**\1**", values["text"])
    credentials, signer = documents.organization()
    data = ConsentData(**values, stamp=stamp_of(credentials), labels=labels)
    return sign_pdf(render_consent(data), signer, name=credentials.common_name, reason=labels["reason"],
                    location=data.clinic_name)


class ContractMaker:
    """What engine.payments.contracts.produce_pending calls to seal a signed contract."""

    def __init__(self, documents: SignedDocuments) -> None:
        self.documents = documents

    def contract(self, content: Mapping[str, Any]) -> bytes:
        return contract_pdf(self.documents, content)
