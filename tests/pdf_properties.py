"""A PDF's document properties (Title, Author, Subject, Creator) as poppler's pdfinfo reads them."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def pdf_properties(pdf: bytes) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {name: value.strip() for name, _, value in (line.partition(":") for line in info.splitlines())}
