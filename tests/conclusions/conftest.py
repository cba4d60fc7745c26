"""Fixtures for signed documents: one CA per test session (keys are made once), sample content, a
pending conclusion produced through the real service, and an NSS trust store for poppler's pdfsig."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reports.ca import PlatformCA
from reports.signing import SignedDocuments
from tests.webui.conftest import app, cast, client, settings  # noqa: F401  (the web app fixtures)
from tests.workflows.conftest import instance, prefect_harness  # noqa: F401  (the Prefect harness)

DOCTOR_NAME = "Петров Сергей Николаевич"


def sample_content(**changes: object) -> dict[str, object]:
    content: dict[str, object] = dict(
        number=12,
        locale="ru",
        issued_at=datetime(2026, 3, 5, 10, 30, tzinfo=ZoneInfo("Europe/Moscow")),
        clinic_name="ГБУЗ «Окружная клиническая больница»",
        clinic_details=["г. Ханты-Мансийск, ул. Калинина, д. 40", "+7 (3467) 39-00-00"],
        patient_name="Иванова Анна Сергеевна",
        patient_birth_date="12.04.1985",
        doctor_name=DOCTOR_NAME,
        doctor_specialty="кардиолог",
        diagnosis_code="I10",
        diagnosis_text="Эссенциальная (первичная) гипертензия",
        findings="Жалобы на головные боли, АД до 160/95 мм рт. ст.\nЭКГ: синусовый ритм, ЧСС 72 в минуту.",
        recommendations="1. Контроль АД дважды в день.\n2. Ограничение соли до 5 г в сутки.",
        follow_up="Повторная консультация через 4 недели.",
        verify_url="https://carepath.test/verify/TEST-CODE-0123456789",
    )
    content.update(changes)
    return content


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def maker(keys: Path) -> SignedDocuments:
    return SignedDocuments(PlatformCA(keys))


@pytest.fixture(scope="session")
def signed_conclusion(maker: SignedDocuments) -> bytes:
    return maker.conclusion(sample_content(), doctor_id=7, doctor_name=DOCTOR_NAME)


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory, maker: SignedDocuments) -> str:
    """A throwaway NSS database trusting our root, as pdfsig's `-nssdir` wants it."""
    if shutil.which("certutil") is None:
        pytest.fail("certutil is missing: `make install-test` installs libnss3-tools")
    folder = tmp_path_factory.mktemp("nss")
    root = folder / "root.pem"
    root.write_bytes(maker.ca.root_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{folder}", "-n", "carepath-root", "-t", "CT,C,C",
                    "-i", str(root)], check=True)
    return f"sql:{folder}"
