"""The platform's own certificate authority, kept in the instance folder's `keys/`.

Layout (created on first use, keys readable by the owner only):

    keys/ca/root.key.pem             the root's EC P-256 private key
    keys/ca/root.cert.pem            the self-signed root certificate (the trust anchor to import)
    keys/signers/doctor-<id>.key.pem / .cert.pem    one signer per doctor account
    keys/signers/organization.key.pem / .cert.pem   the organization's signer (consents)

Signer certificates are EC P-256 (ECDSA signs several times faster than RSA-2048 here) and are issued
again when they are about to expire or the doctor's name changed, so the name in a new signature is
always the current one; documents signed earlier keep their own embedded certificate.

Creation is guarded by a lock, so a web worker and a flow run starting together never make two
roots. Where the files live is a `KeyVault`: the folder above by default (a file lock), or the shared
store of several hosts (integrations/files.py: a database table and an advisory lock). With a passphrase
the private keys are written encrypted (PKCS#8, AES-256); the shared store is only used with one, so a
private key is never on a shared disk in plain form. Certificate times are real wall-clock times
(validators use them), not the engine's test clock.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

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


class KeyVault(Protocol):
    """Where the CA's files live, by name (`ca/root.key.pem`, `signers/doctor-7.cert.pem`)."""

    def read(self, name: str) -> bytes | None: ...

    def write(self, name: str, data: bytes, *, private: bool) -> None: ...

    def locked(self) -> AbstractContextManager[None]:
        """Held while a root or signer is made, across every process sharing the vault."""
        ...


class FolderVault:
    """The instance folder's keys/ (owner-only modes, written aside and renamed, a file lock)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def read(self, name: str) -> bytes | None:
        try:
            return (self.folder / name).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes, *, private: bool) -> None:
        _write(self.folder / name, data, mode=0o600 if private else 0o644)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".ca.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class PlatformCA:
    def __init__(self, folder: Path | KeyVault, organization: str = "CarePath", *,
                 passphrase: bytes | None = None) -> None:
        self.vault: KeyVault = FolderVault(folder) if isinstance(folder, (str, Path)) else folder
        self.organization = organization
        self.passphrase = passphrase

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

    def _root(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key_path, cert_path = "ca/root.key.pem", "ca/root.cert.pem"
        if self.vault.read(cert_path) is None:
            with self.vault.locked():
                if self.vault.read(cert_path) is None:  # another process may have made it while we waited
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
                    self._write_key(key_path, key)
                    self.vault.write(cert_path, certificate.public_bytes(serialization.Encoding.PEM), private=False)
        return self._load_key(key_path), _load_cert(self.vault, cert_path)

    def _signer(self, stem: str, common_name: str, *, user_ref: str) -> Credentials:
        root_key, root = self._root()
        key_path, cert_path = f"signers/{stem}.key.pem", f"signers/{stem}.cert.pem"
        current = self._read_signer(key_path, cert_path)
        if current is None or _needs_new(current[1], common_name, root):
            with self.vault.locked():
                current = self._read_signer(key_path, cert_path)
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
                    self._write_key(key_path, key)
                    self.vault.write(cert_path, certificate.public_bytes(serialization.Encoding.PEM), private=False)
                    current = (key, certificate)
        return Credentials(key=current[0], certificate=current[1], chain=(root,))

    def _read_signer(self, key_path: str, cert_path: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
        if self.vault.read(key_path) is None or self.vault.read(cert_path) is None:
            return None
        key, certificate = self._load_key(key_path), _load_cert(self.vault, cert_path)
        # A crash between writing the new key and its certificate leaves a pair that does not match.
        if certificate.public_key() != key.public_key():
            return None
        return key, certificate

    def _load_key(self, name: str) -> ec.EllipticCurvePrivateKey:
        data = self.vault.read(name)
        if data is None:
            raise FileNotFoundError(name)
        encrypted = b"ENCRYPTED" in data.split(b"\n", 1)[0]
        # A key written before a passphrase was set stays readable; the next one is written encrypted.
        key = serialization.load_pem_private_key(data, password=self.passphrase if encrypted else None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{name} is not an EC key")
        return key

    def _write_key(self, name: str, key: ec.EllipticCurvePrivateKey) -> None:
        protection = (serialization.BestAvailableEncryption(self.passphrase) if self.passphrase
                      else serialization.NoEncryption())
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection)
        self.vault.write(name, data, private=True)


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


def _load_cert(vault: KeyVault, name: str) -> x509.Certificate:
    data = vault.read(name)
    if data is None:
        raise FileNotFoundError(name)
    return x509.load_pem_x509_certificate(data)


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
