"""Checking a signed PDF against the platform's CA: is it intact, and who signed it when.

`verify_pdf(data, trust_roots)` never raises on bad input: a file that is not a PDF, has no signature,
was changed after signing, or was signed by someone our CA does not know each get their own state.
"""

from __future__ import annotations

import reports.pyhanko_quiet  # noqa: F401 - before pyHanko itself (see there)

# isort: split

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

INTACT = "intact"            # signed by our CA's signer, not changed since
MODIFIED = "modified"        # the signed bytes changed, or something was added after the signature
UNKNOWN_SIGNER = "unknown_signer"  # intact, but the signer's certificate does not chain to our root
UNSIGNED = "unsigned"        # a PDF without a signature
UNREADABLE = "unreadable"    # not a PDF we can parse
STATES = (INTACT, MODIFIED, UNKNOWN_SIGNER, UNSIGNED, UNREADABLE)


@dataclass(frozen=True)
class Verdict:
    state: str
    signer_name: str = ""
    signer_organization: str = ""
    certificate_serial: str = ""
    signed_at: datetime | None = None
    title: str = ""
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.state == INTACT


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _name_part(name: asn1_x509.Name, key: str) -> str:
    value = name.native.get(key, "")
    return str(value[-1] if isinstance(value, list) else value)


def _title(reader: PdfFileReader) -> str:
    # Indexing dereferences (`.get` would hand back an indirect reference).
    try:
        return str(reader.trailer_view["/Info"]["/Title"])
    except KeyError:
        return ""


def verify_pdf(data: bytes, trust_roots: Iterable[x509.Certificate]) -> Verdict:
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
        title = _title(reader)
    except Exception:  # pyHanko raises many kinds on garbage; all of them mean "cannot read this"
        return Verdict(UNREADABLE)
    if not signatures:
        return Verdict(UNSIGNED, title=title)
    # The last signature covers the most; ours carry one. Every signature must hold for "intact".
    context = ValidationContext(trust_roots=[_asn1(c) for c in trust_roots], allow_fetching=False)
    state, last = INTACT, None
    for signature in signatures:
        try:
            status = validate_pdf_signature(signature, context)
        except Exception:  # a mangled signature dictionary or CMS blob
            return Verdict(MODIFIED, title=title)
        last = status
        if not (status.intact and status.valid):
            return Verdict(MODIFIED, title=title)
        if not status.trusted:
            state = UNKNOWN_SIGNER
    assert last is not None
    # Bytes added after the last signature (an incremental update) also count as a change.
    if last.coverage != SignatureCoverageLevel.ENTIRE_FILE and state == INTACT:
        state = MODIFIED
    subject = last.signing_cert.subject
    signed_at = last.signer_reported_dt
    sig_object = signatures[-1].sig_object
    return Verdict(
        state=state,
        signer_name=_name_part(subject, "common_name"),
        signer_organization=_name_part(subject, "organization_name"),
        certificate_serial=format(last.signing_cert.serial_number, "X"),
        signed_at=signed_at,
        title=title,
        reason=str(sig_object.get("/Reason", "")),
    )
