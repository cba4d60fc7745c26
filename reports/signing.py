"""PAdES signatures with pyHanko, by signers of the platform's own CA (reports.ca).

`signed_documents(keys_path)` is the process-level object a flow keeps: it caches the CA and every
signer it loaded (key parsed once, certificate chain ready), so signing a conclusion costs one render
and one ECDSA signature, not a key load. It is what engine.conclusions.produce_pending calls through its
`SignedPdfMaker` protocol: `conclusion(content, doctor_id=, doctor_name=)` and `consent(content)`,
where `content` holds the fields of reports.conclusion.ConclusionData / reports.consent.ConsentData
(the stamp excepted, which comes from the certificate used).

The signature field is invisible: the page itself prints the signer's certificate and a QR code to the
verification page (reports.layout.signature_stamp), which survives printing, unlike a widget.
"""

from __future__ import annotations

import reports.pyhanko_quiet  # noqa: F401 - before pyHanko itself (see there)

# isort: split

import threading
from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from reports.ca import Credentials, PlatformCA
from reports.conclusion import ConclusionData, render_conclusion
from reports.consent import ConsentData, render_consent
from reports.layout import Stamp

FIELD_NAME = "Signature1"
# Room for the CMS blob (signature, signer and root certificates, attributes). Fixed, so pyHanko does
# not sign a dummy document first to measure it.
BYTES_RESERVED = 8192


def to_pyhanko(credentials: Credentials) -> signers.SimpleSigner:
    der = serialization.Encoding.DER
    key = credentials.key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    chain = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in credentials.chain]
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(credentials.certificate.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def sign_pdf(pdf: bytes, signer: signers.SimpleSigner, *, name: str, reason: str, location: str = "") -> bytes:
    """A PAdES B-B signature (ETSI.CAdES.detached, SHA-256) over the whole file."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=name,
        reason=reason,
        location=location or None,
    )
    output = signers.sign_pdf(writer, meta, signer=signer, bytes_reserved=BYTES_RESERVED)
    return output.getvalue()


def stamp_of(credentials: Credentials) -> Stamp:
    certificate = credentials.certificate
    return Stamp(
        owner=credentials.common_name,
        serial=credentials.serial_hex,
        valid_from=certificate.not_valid_before_utc,
        valid_to=certificate.not_valid_after_utc,
    )


REASONS = {
    "ru": {"conclusion": "Заключение врача", "consent": "Информированное добровольное согласие"},
    "en": {"conclusion": "Doctor's conclusion", "consent": "Informed voluntary consent"},
}


class SignedDocuments:
    """Renders and signs; keeps loaded signers for the life of the process (thread-safe)."""

    def __init__(self, ca: PlatformCA) -> None:
        self.ca = ca
        self._lock = threading.Lock()
        self._signers: dict[tuple[str, str], tuple[Credentials, signers.SimpleSigner]] = {}

    def _cached(self, key: tuple[str, str], load: Any) -> tuple[Credentials, signers.SimpleSigner]:
        with self._lock:
            entry = self._signers.get(key)
            if entry is None:
                credentials = load()
                entry = self._signers[key] = (credentials, to_pyhanko(credentials))
            return entry

    def doctor(self, doctor_id: int, doctor_name: str) -> tuple[Credentials, signers.SimpleSigner]:
        # Keyed by the name too: a renamed doctor gets a certificate in the new name (reports.ca).
        return self._cached(("doctor", f"{doctor_id}:{doctor_name}"),
                            lambda: self.ca.doctor(doctor_id, doctor_name))

    def organization(self) -> tuple[Credentials, signers.SimpleSigner]:
        return self._cached(("organization", ""), self.ca.organization_signer)

    def conclusion(self, content: Mapping[str, Any], *, doctor_id: int, doctor_name: str) -> bytes:
        credentials, signer = self.doctor(doctor_id, doctor_name)
        data = ConclusionData(**dict(content), stamp=stamp_of(credentials))
        reason = REASONS.get(data.locale, REASONS["ru"])["conclusion"]
        return sign_pdf(render_conclusion(data), signer, name=doctor_name, reason=reason, location=data.clinic_name)

    def consent(self, content: Mapping[str, Any]) -> bytes:
        credentials, signer = self.organization()
        data = ConsentData(**dict(content), stamp=stamp_of(credentials))
        reason = REASONS.get(data.locale, REASONS["ru"])["consent"]
        return sign_pdf(render_consent(data), signer, name=credentials.common_name, reason=reason,
                        location=data.clinic_name)


@cache
def signed_documents(keys_path: Path, organization: str = "CarePath") -> SignedDocuments:
    """One per keys folder per process: the flow's serve process keeps its signers loaded between runs."""
    return SignedDocuments(PlatformCA(Path(keys_path), organization))
