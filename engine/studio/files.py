"""The files of a model as the studio receives them (from the browser, a draft or a zip): limits on
size and names, checked before anything parses them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from engine.i18n import N_
from engine.workflow import DeployError, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024  # a large pathway is ~100 KB; megabytes are a mistake or an attack
MAX_TOTAL_BYTES = 8 * 1024 * 1024
MAX_FILES = 100
SUFFIXES = (".bpmn", ".dmn", ".json")
# A model's own example of the data the platform starts it with: the test run's start data (no form).
START_SAMPLE = "test_start.json"
NAME = re.compile(r"^(forms/)?[A-Za-z0-9][A-Za-z0-9_.\-]{0,150}$")


def check_files(files: Mapping[str, object]) -> dict[str, str]:
    """Text files by clean relative path, or DeployError naming every file that cannot be taken."""
    problems: list[Problem] = []
    texts: dict[str, str] = {}
    if not isinstance(files, Mapping) or not files:
        raise DeployError([Problem("", None, N_("The model has no files."))])
    if len(files) > MAX_FILES:
        raise DeployError(
            [Problem("", None, N_("A model may hold at most %(count)s files."), {"count": MAX_FILES})]
        )
    total = 0
    for path, content in files.items():
        clean = str(path).replace("\\", "/").strip()
        if not NAME.match(clean) or ".." in clean or not clean.endswith(SUFFIXES):
            problems.append(
                Problem(
                    str(path)[:200],
                    None,
                    N_(
                        "File names are letters, digits, dots, dashes and underscores, "
                        "ending in .bpmn, .dmn or .json (forms under forms/)."
                    ),
                )
            )
            continue
        if isinstance(content, bytes):
            try:
                content = content.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(clean, None, N_("The file is not UTF-8 text.")))
                continue
        if not isinstance(content, str):
            problems.append(Problem(clean, None, N_("The file is not text.")))
            continue
        size = len(content.encode("utf-8"))
        total += size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    clean,
                    None,
                    N_("The file is larger than %(limit)s MB."),
                    {"limit": MAX_FILE_BYTES // 2**20},
                )
            )
            continue
        texts[clean] = content
    if total > MAX_TOTAL_BYTES:
        problems.append(
            Problem(
                "", None, N_("The model is larger than %(limit)s MB."), {"limit": MAX_TOTAL_BYTES // 2**20}
            )
        )
    if problems:
        raise DeployError(problems)
    return texts
