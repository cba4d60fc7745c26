"""Signed conclusions per second: render only vs render + PAdES signature, and the ratio.

    .venv/bin/python bench/conclusions.py [--count 200] [--rsa]

Rates are per second of CPU time of this one process (and, in brackets, per wall-clock second).
Renders the same realistic one-page conclusion `count` times with reportlab, then renders and signs it
with pyHanko using a doctor's EC P-256 key from a fresh platform CA (loaded once, as the flow keeps it).
`--rsa` adds a run with an RSA-2048 signer for comparison. Target: >= 25 signed conclusions/s (EC).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports.ca import PlatformCA  # noqa: E402
from reports.conclusion import ConclusionData, render_conclusion  # noqa: E402
from reports.signing import SignedDocuments, sign_pdf, stamp_of, to_pyhanko  # noqa: E402

TARGET = 25.0
WALL: list[float] = []
DOCTOR = "Петров Сергей Николаевич"
CONTENT = dict(
    locale="ru",
    issued_at=datetime(2026, 3, 5, 10, 30, tzinfo=ZoneInfo("Europe/Moscow")),
    clinic_name="ГБУЗ «Окружная клиническая больница»",
    clinic_details=["г. Ханты-Мансийск, ул. Калинина, д. 40", "+7 (3467) 39-00-00"],
    patient_name="Иванова Анна Сергеевна",
    patient_birth_date="12.04.1985",
    doctor_name=DOCTOR,
    doctor_specialty="кардиолог",
    diagnosis_code="I10",
    diagnosis_text="Эссенциальная (первичная) гипертензия",
    findings="Жалобы на периодические головные боли, повышение АД до 160/95 мм рт. ст.\n"
             "ЭКГ: синусовый ритм, ЧСС 72 в минуту, признаки гипертрофии левого желудочка.\n\n"
             "Состояние удовлетворительное.",
    recommendations="1. Контроль АД дважды в день с записью в дневник.\n2. Ограничение соли до 5 г в сутки.\n"
                    "3. Лизиноприл 10 мг утром, длительно.",
    follow_up="Повторная телемедицинская консультация через 4 недели с дневником АД.",
    verify_url="https://carepath.example/verify/Xq3v9k2LmN8pR4sT6uW1yAbCdEfGh",
)


def rate(count: int, work) -> float:
    """Per second of this process's CPU time: on a shared machine wall time mostly measures the
    neighbours (the wall-clock figure is printed too, for an idle machine)."""
    work(0)  # warm-up: fonts registered, signer loaded
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(1, count + 1):
        work(i)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    WALL.append(count / wall)
    return count / used


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rsa", action="store_true", help="also sign with an RSA-2048 key for comparison")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as keys:
        maker = SignedDocuments(PlatformCA(Path(keys)))
        credentials, _ = maker.doctor(7, DOCTOR)
        stamp = stamp_of(credentials)
        render = rate(args.count, lambda i: render_conclusion(ConclusionData(number=i, stamp=stamp, **CONTENT)))
        signed = rate(args.count, lambda i: maker.conclusion({"number": i, **CONTENT}, doctor_id=7, doctor_name=DOCTOR))
        print(f"render only:        {render:7.1f} conclusions/s ({1000 / render:.1f} ms CPU each;"
              f" wall clock {WALL[0]:.1f}/s)")
        print(f"render + sign (EC): {signed:7.1f} conclusions/s ({1000 / signed:.1f} ms CPU each;"
              f" wall clock {WALL[1]:.1f}/s)")
        print(f"ratio sign/render:  {signed / render:7.2f}  (signing adds {1000 / signed - 1000 / render:.1f} ms)")
        if args.rsa:
            rsa = _rsa_signer(credentials)
            pdf = render_conclusion(ConclusionData(number=1, stamp=stamp, **CONTENT))
            only_sign_rsa = rate(args.count // 4 or 1, lambda i: sign_pdf(pdf, rsa, name=DOCTOR, reason="bench"))
            _, ec_signer = maker.doctor(7, DOCTOR)
            only_sign_ec = rate(args.count // 4 or 1, lambda i: sign_pdf(pdf, ec_signer, name=DOCTOR, reason="bench"))
            print(f"sign only: EC P-256 {only_sign_ec:.1f}/s, RSA-2048 {only_sign_rsa:.1f}/s")
        print(f"target >= {TARGET:.0f} signed/s: {'met' if signed >= TARGET else 'NOT met'}")
    return 0


def _rsa_signer(ec_credentials):
    """An RSA-2048 signer issued by a throwaway root, only to compare signing speed."""
    from datetime import UTC, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from reports.ca import Credentials

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOCTOR)])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    return to_pyhanko(Credentials(key=key, certificate=certificate, chain=(certificate,)))  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
