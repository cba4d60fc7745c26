"""`carepath run` and every worker import the app, which imports pyHanko: that must not print
cryptography's DSA deprecation warning (reports/pyhanko_quiet.py), while other warnings still show."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import warnings
from cryptography.utils import CryptographyDeprecationWarning
warnings.simplefilter("error", CryptographyDeprecationWarning)
import {module}
"""


def test_importing_the_signing_and_verifying_modules_gives_no_dsa_warning():
    for module in ("reports.signing", "reports.verify"):
        run = subprocess.run([sys.executable, "-c", SCRIPT.format(module=module)], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-2000:]


def test_only_the_dsa_warning_is_silenced():
    script = SCRIPT.format(module="reports.signing") + (
        "from cryptography.hazmat.primitives.asymmetric import dsa\n"
        "dsa.generate_private_key  # our own use of DSA would still be reported\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode != 0 and "DSA is deprecated" in run.stderr
