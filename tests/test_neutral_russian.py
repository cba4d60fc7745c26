"""Russian text speaks to a person without guessing their gender: no «согласен(на)», «ознакомился(-ась)»,
«загрузил(а)». The profile has no gender to choose the ending from, so every wording is one that needs no
ending at all («Даю согласие», «Документы загружены», «Явка»).

Checked: every msgid the code, templates and pathways have now (freshly extracted), in the Russian catalog as
the lead's merge of the branches' .po.part files makes it, and the current Russian consent texts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tools.translations import RU_DIR, fresh_template, merge_parts, read_catalog

ROOT = Path(__file__).resolve().parents[1]
# A word glued to a bracketed ending: «согласен(на)», «был(а)», «ознакомился(-ась)», «предупреждён(а)».
GENDERED = re.compile(r"\w\(-?(?:а|на|ла|ась|ся|ая|ой)\)", re.IGNORECASE)
CONSENT_TEXTS = [ROOT / "engine" / "conclusions" / "consent_texts" / "telemedicine.ru.md",
                 ROOT / "engine" / "accounts" / "consent_texts" / "personal_data.ru.md"]


@pytest.fixture(scope="module")
def merged_russian(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ru")
    for path in RU_DIR.glob("*.po*"):
        shutil.copy(path, folder / path.name)
    merge_parts(folder, delete=True)
    return read_catalog(folder / "messages.po", locale="ru")


@pytest.fixture(scope="module")
def in_use() -> set[tuple[str | None, str]]:
    """(context, msgid) of every message the code, templates and pathways have now (extracted once)."""
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in fresh_template() if m.id}


def russian_matching(catalog, in_use, pattern: re.Pattern[str]) -> list[str]:
    """The Russian texts in use that the pattern finds, as "msgid: translation" lines."""
    found = []
    for message in catalog:
        msgid = message.id if isinstance(message.id, str) else (message.id or ("",))[0]
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if (message.context, msgid) in in_use and any(s and pattern.search(s) for s in strings):
            found.append(f"{msgid!r}: {message.string!r}")
    return found


def test_no_russian_text_in_use_has_a_gendered_ending(merged_russian, in_use):
    found = russian_matching(merged_russian, in_use, GENDERED)

    assert not found, "Russian with a gendered ending:\n" + "\n".join(found)


@pytest.mark.parametrize("path", CONSENT_TEXTS, ids=lambda p: p.name)
def test_the_current_consent_texts_have_no_gendered_ending(path):
    text = path.read_text(encoding="utf-8")

    assert "согласие" in text  # the file is the consent it is named after
    assert GENDERED.findall(text) == []


def test_the_pattern_finds_the_endings_it_is_for():
    for wording in ("Я согласен(на)", "Я ознакомился(-ась)", "Я загрузил(а)", "предупреждён(а)"):
        assert GENDERED.search(wording), wording
    for wording in ("Даю согласие", "Войти (доступно за 10 минут до начала)", "(без заголовка)"):
        assert not GENDERED.search(wording), wording


# A person's name put where Russian grammar needs it declined («у врача Григорьева Татьяна Дмитриевна»):
# names are stored in the nominative and not declined, so a wording names the person apart
# («врач: %(doctor)s»).
UNDECLINED = re.compile(r"\b(?:у|к|с|от|для|врача|врачу|врачом|пациента|пациенту|пациентом|инструктора|"
                        r"инструктору) %\((?:doctor|patient|instructor|name|person)\w*\)s", re.IGNORECASE)


def test_no_russian_text_in_use_needs_a_name_declined(merged_russian, in_use):
    found = russian_matching(merged_russian, in_use, UNDECLINED)

    assert not found, "Russian that would need the name declined:\n" + "\n".join(found)
    assert UNDECLINED.search("Ваш приём у врача %(doctor)s отменён")  # the wording the mail had
