"""The platform CA in the keys folder: made once, keys private, signers issued and renewed as needed."""

from __future__ import annotations

import stat
import threading

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reports.ca import PlatformCA


def test_the_root_is_created_on_first_use_and_then_reused(tmp_path):
    first = PlatformCA(tmp_path).root_certificate()
    again = PlatformCA(tmp_path).root_certificate()

    assert first == again
    assert (tmp_path / "ca" / "root.cert.pem").exists()
    assert stat.S_IMODE((tmp_path / "ca" / "root.key.pem").stat().st_mode) == 0o600


def test_two_processes_starting_together_make_one_root(tmp_path):
    roots = []
    threads = [threading.Thread(target=lambda: roots.append(PlatformCA(tmp_path).root_certificate()))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({r.serial_number for r in roots}) == 1


def test_a_doctor_gets_an_ec_p256_certificate_issued_by_the_root(tmp_path):
    ca = PlatformCA(tmp_path)

    signer = ca.doctor(5, "Сидорова Мария Ивановна")

    assert isinstance(signer.key, ec.EllipticCurvePrivateKey) and signer.key.curve.name == "secp256r1"
    assert signer.certificate.issuer == ca.root_certificate().subject
    assert signer.common_name == "Сидорова Мария Ивановна"
    assert signer.certificate.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == "carepath-user-5"
    ca.root_certificate().public_key().verify(
        signer.certificate.signature, signer.certificate.tbs_certificate_bytes,
        ec.ECDSA(signer.certificate.signature_hash_algorithm),
    )
    assert stat.S_IMODE((tmp_path / "signers" / "doctor-5.key.pem").stat().st_mode) == 0o600


def test_the_same_doctor_keeps_the_certificate_until_the_name_changes(tmp_path):
    ca = PlatformCA(tmp_path)
    first = ca.doctor(5, "Сидорова Мария Ивановна")

    assert ca.doctor(5, "Сидорова Мария Ивановна").certificate == first.certificate
    renamed = ca.doctor(5, "Петрова Мария Ивановна")

    assert renamed.certificate != first.certificate
    assert renamed.common_name == "Петрова Мария Ивановна"


def test_the_organization_has_its_own_signer(tmp_path):
    ca = PlatformCA(tmp_path, organization="CarePath")

    signer = ca.organization_signer()

    assert signer.common_name == "CarePath"
    assert signer.certificate != ca.doctor(1, "Врач").certificate
