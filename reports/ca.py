"""The platform's own certificate authority, kept in the instance folder's `keys/`.

Layout (created on first use, keys readable by the owner only):

    keys/ca/root.key.pem             the root's EC P-256 private key
    keys/ca/root.cert.pem            the self-signed root certificate (the trust anchor to import)
    keys/signers/doctor-<id>.key.pem / .cert.pem    one signer per doctor account
    keys/signers/organization.key.pem / .cert.pem   the organization's signer (consents)

Signer certificates are EC P-256 (ECDSA signs several times faster than RSA-2048 here) and are issued
again when they are about to expire or the doctor's name changed, so the name in a new signature is
always the current one; documents signed earlier keep their own embedded certificate.

Creation is guarded by a file lock, so a web worker and a flow run starting together never make two
roots. Certificate times are real wall-clock times (validators use them), not the engine's test clock.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT_LIFETIME = timedelta(days=20 * 365)
SIGNER_LIFETIME = timedelta(days=3 * 365)
RENEW_BEFORE = timedelta(days=30)
BACKDATE = timedelta(minutes=10)  # a clock a little behind elsewhere still accepts a fresh certificate


@dataclass(frozen=True)
class Credentials:
    """A signer's key, its certificate and the issuing chain (the root)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def common_name(self) -> str:
        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else ""

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "X")


class PlatformCA:
    def __init__(self, folder: Path, organization: str = "CarePath") -> None:
        self.folder = Path(folder)
        self.organization = organization

    # ------------------------------------------------------------------ public

    def root_certificate(self) -> x509.Certificate:
        return self._root()[1]

    def root_pem(self) -> bytes:
        return self.root_certificate().public_bytes(serialization.Encoding.PEM)

    def doctor(self, user_id: int, full_name: str) -> Credentials:
        """The doctor's signer, issued now if missing, expiring, or made out to another name."""
        return self._signer(f"doctor-{int(user_id)}", full_name, user_ref=f"carepath-user-{int(user_id)}")

    def organization_signer(self) -> Credentials:
        return self._signer("organization", self.organization, user_ref="carepath-organization")

    # ------------------------------------------------------------------ internals

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".ca.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _root(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key_path, cert_path = self.folder / "ca" / "root.key.pem", self.folder / "ca" / "root.cert.pem"
        if not cert_path.exists():
            with self._locked():
                if not cert_path.exists():  # another process may have made it while we waited
                    key = ec.generate_private_key(ec.SECP256R1())
                    name = x509.Name([
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
                        x509.NameAttribute(NameOID.COMMON_NAME, f"{self.organization} Root CA"),
                    ])
                    start = _now() - BACKDATE
                    certificate = (
                        x509.CertificateBuilder()
                        .subject_name(name)
                        .issuer_name(name)
                        .public_key(key.public_key())
                        .serial_number(x509.random_serial_number())
                        .not_valid_before(start)
                        .not_valid_after(start + ROOT_LIFETIME)
                        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                        .add_extension(_usage(cert_sign=True), critical=True)
                        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                        .sign(key, hashes.SHA256())
                    )
                    _write_key(key_path, key)
                    _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
        return _load_key(key_path), _load_cert(cert_path)

    def _signer(self, stem: str, common_name: str, *, user_ref: str) -> Credentials:
        root_key, root = self._root()
        key_path = self.folder / "signers" / f"{stem}.key.pem"
        cert_path = self.folder / "signers" / f"{stem}.cert.pem"
        current = _read_signer(key_path, cert_path)
        if current is None or _needs_new(current[1], common_name, root):
            with self._locked():
                current = _read_signer(key_path, cert_path)
                if current is None or _needs_new(current[1], common_name, root):
                    key = ec.generate_private_key(ec.SECP256R1())
                    subject = x509.Name([
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
                        x509.NameAttribute(NameOID.COMMON_NAME, common_name or user_ref),
                        x509.NameAttribute(NameOID.USER_ID, user_ref),
                    ])
                    start = _now() - BACKDATE
                    certificate = (
                        x509.CertificateBuilder()
                        .subject_name(subject)
                        .issuer_name(root.subject)
                        .public_key(key.public_key())
                        .serial_number(x509.random_serial_number())
                        .not_valid_before(start)
                        .not_valid_after(min(start + SIGNER_LIFETIME, root.not_valid_after_utc))
                        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                        # digitalSignature + nonRepudiation (contentCommitment): what PDF signers check.
                        .add_extension(_usage(cert_sign=False), critical=True)
                        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                        .add_extension(
                            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
                        )
                        .sign(root_key, hashes.SHA256())
                    )
                    _write_key(key_path, key)
                    _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
                    current = (key, certificate)
        return Credentials(key=current[0], certificate=current[1], chain=(root,))


def _now() -> datetime:
    return datetime.now(UTC)


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=not cert_sign, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )


def _needs_new(certificate: x509.Certificate, common_name: str, root: x509.Certificate) -> bool:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return (
        certificate.issuer != root.subject
        or certificate.not_valid_after_utc - RENEW_BEFORE < _now()
        or not names
        or names[0].value != (common_name or names[0].value)
    )


def _read_signer(key_path: Path, cert_path: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    if not (key_path.exists() and cert_path.exists()):
        return None
    key, certificate = _load_key(key_path), _load_cert(cert_path)
    # A crash between writing the new key and its certificate leaves a pair that does not match.
    if certificate.public_key() != key.public_key():
        return None
    return key, certificate


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an EC key")
    return key


def _load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(path, data, mode=0o600)


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    # Written aside and renamed: a reader never sees half a key; the key is never world-readable.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, delete=False)
    try:
        os.chmod(handle.name, mode)
        handle.write(data)
        handle.close()
        os.replace(handle.name, path)
    except BaseException:
        handle.close()
        Path(handle.name).unlink(missing_ok=True)
        raise
