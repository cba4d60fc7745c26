"""The translation catalog's upkeep: extract, merge colleagues' Russian parts, and say what is missing.

    python tools/translations.py update        extract messages.pot, merge the parts, update every messages.po
    python tools/translations.py merge-parts   fold ru/LC_MESSAGES/*.po.part into ru/messages.po, delete them
    python tools/translations.py extract FILE  a fresh template of every msgid (code, templates, pathways)
    python tools/translations.py check         list msgids without a Russian translation (exit 1 if any)

`make translations` runs update, then check. tests/test_translations.py uses the same functions, so the
build and the test read the catalog the same way.

update is `pybabel extract` + `pybabel update --no-fuzzy-matching` plus one thing pybabel does not do: a
msgid that comes back after being obsolete (``#~``, e.g. a string moved from one file into a pathway)
gets its old translation back instead of an empty one.

A .po.part is how someone working on an area hands in Russian without touching messages.po at the same
time as others. When a part disagrees with a translation messages.po already has, messages.po wins and the
disagreement is printed: choosing between two Russian wordings is a person's decision.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "webui" / "translations"
RU_DIR = TRANSLATIONS / "ru" / "LC_MESSAGES"
RU_CATALOG = RU_DIR / "messages.po"
KEYWORDS = ("_l", "N_")  # on top of Babel's defaults (_, gettext, ngettext, ...)
WIDTH = 76  # pybabel's own, so files written here and by pybabel look the same
# %(name)s / %s placeholders, and the Jinja expressions of instructions templates.
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
# Quoted texts inside a Jinja expression are words a translator may translate ({{ x or 'the doctor' }}).
JINJA_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")


def key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(strings) and all(s and s.strip() for s in strings) and not message.fuzzy


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def write_catalog(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as target:
        write_po(target, catalog, width=WIDTH)


def extract(output: Path, root: Path = ROOT) -> None:
    """pybabel extract with babel.cfg (and its extractors for forms and BPMN), as `make translations`."""
    args = ["pybabel", "-q", "extract", "-F", "babel.cfg", "-o", str(output.resolve())]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    # From the root, so the catalog's references read engine/..., not this machine's absolute paths.
    with contextlib.chdir(root):
        CommandLineInterface().run([*args, "."])


def fresh_template(root: Path = ROOT) -> Catalog:
    with tempfile.TemporaryDirectory() as folder:
        pot = Path(folder) / "messages.pot"
        extract(pot, root)
        return read_catalog(pot)


def untranslated(template: Catalog, catalog: Catalog) -> list[str]:
    """msgids of the template with no (or a fuzzy, or an incomplete plural) translation in the catalog."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or not is_translated(found):
            missing.append(key(message) if not message.context else f"{key(message)} (msgctxt {message.context!r})")
    return missing


def placeholders(text: str) -> list[str]:
    jinja = [re.sub(r"\s+", "", JINJA_LITERAL.sub("''", j)) for j in JINJA.findall(text)]
    return sorted(PLACEHOLDER.findall(JINJA.sub("", text)) + jinja)


def placeholder_problems(catalog: Catalog) -> list[str]:
    """Translations whose %(name)s placeholders (or Jinja expressions) differ from their msgid's.

    A plural's forms are compared with the plural msgid, except that a form may leave out %(num)s
    (Russian "одна задача" for n == 1 reads better without the number)."""
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        expected = placeholders(ids[-1])
        for text in strings:
            if not text:
                continue
            found = placeholders(text)
            if found != expected and not (len(ids) > 1 and set(found) <= set(expected)):
                problems.append(f"{key(message)!r}: msgid has {expected}, translation {text!r} has {found}")
    return problems


def update_catalogs(template: Catalog, translations: Path = TRANSLATIONS) -> None:
    """Every <locale>/LC_MESSAGES/messages.po brought in line with the template, like pybabel update."""
    for path in sorted(translations.glob("*/LC_MESSAGES/messages.po")):
        catalog = read_catalog(path, locale=path.parent.parent.name)
        for msgid in [m for m in catalog.obsolete if m in template]:
            catalog[msgid] = catalog.obsolete.pop(msgid)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
        write_catalog(path, catalog)


def update(root: Path = ROOT) -> MergeReport:
    pot = root / "webui" / "translations" / "messages.pot"
    extract(pot, root)
    report = merge_parts(root / "webui" / "translations" / "ru" / "LC_MESSAGES")
    update_catalogs(read_catalog(pot), root / "webui" / "translations")
    return report


@dataclass
class MergeReport:
    added: int = 0
    conflicts: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)


def merge_parts(directory: Path = RU_DIR, delete: bool = True) -> MergeReport:
    """Fold every *.po.part of the folder into its messages.po (new msgids added, empty ones filled)."""
    report = MergeReport()
    parts = sorted(directory.glob("*.po.part"))
    if not parts:
        return report
    target = directory / "messages.po"
    catalog = read_catalog(target, locale="ru")
    for part in parts:
        report.parts.append(part.name)
        for message in read_catalog(part, locale="ru"):
            if not message.id or not is_translated(message):
                continue
            existing = catalog.get(message.id, context=message.context)
            if existing is None:
                catalog.add(message.id, message.string, context=message.context, auto_comments=message.auto_comments)
                report.added += 1
            elif not is_translated(existing):
                existing.string = message.string
                existing.flags.discard("fuzzy")
                report.added += 1
            elif existing.string != message.string:
                report.conflicts.append(
                    f"{part.name}: {key(message)!r} -> {message.string!r}; kept {existing.string!r}")
    write_catalog(target, catalog)
    if delete:
        for part in parts:
            part.unlink()
    return report


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command in ("merge-parts", "update"):
        report = merge_parts() if command == "merge-parts" else update()
        print(f"merged {', '.join(report.parts) or 'no parts'}: {report.added} translations")
        for line in report.conflicts:
            print("kept the catalog's translation:", line)
        return 0
    if command == "extract" and len(argv) == 2:
        extract(Path(argv[1]))
        return 0
    if command == "check":
        missing = untranslated(fresh_template(), read_catalog(RU_CATALOG, locale="ru"))
        problems = placeholder_problems(read_catalog(RU_CATALOG, locale="ru"))
        for msgid in missing:
            print("no Russian yet:", repr(msgid))
        for line in problems:
            print("placeholders differ:", line)
        print(f"{len(missing)} untranslated, {len(problems)} with differing placeholders")
        return 1 if missing or problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
