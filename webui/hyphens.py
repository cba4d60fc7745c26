"""Soft hyphens (U+00AD) between the syllables of a long Russian word, so that a drawing that breaks lines
at them (bpmn-js) breaks «рассматри-вающего» instead of cutting the word anywhere. The rules are
P. Khmelev's syllable rules for Russian (a letter class pattern and where it splits), which never split
off a lone letter; a word in another script is left as it is."""

from __future__ import annotations

import re

SOFT_HYPHEN = "\u00ad"
VOWELS = frozenset("аеёиоуыэюя")
SIGNS = frozenset("йьъ")  # a syllable may end with them, never start
# (pattern of letter classes, split after this many letters): g a vowel, s a consonant, x й/ь/ъ.
RULES = (("xgg", 1), ("xgs", 1), ("xsg", 1), ("xss", 1), ("gssssg", 3), ("gsssg", 3), ("gsssg", 2),
         ("sgsg", 2), ("gssg", 2), ("sggg", 2), ("sggs", 2))
EDGE = 2  # letters at least before the first break and after the last
CYRILLIC_WORD = re.compile(r"[а-яё]+", re.IGNORECASE)


def _kind(letter: str) -> str:
    low = letter.lower()
    return "g" if low in VOWELS else "x" if low in SIGNS else "s"


def syllable_breaks(word: str) -> list[int]:
    """Positions (0 < p < len) in a Cyrillic word where a hyphen may go."""
    kinds = "".join(_kind(letter) for letter in word)
    found = set()
    for pattern, split in RULES:
        for start in range(len(kinds) - len(pattern) + 1):
            if kinds.startswith(pattern, start):
                found.add(start + split)
    kept, last = [], 0
    for position in sorted(p for p in found if EDGE <= p <= len(word) - EDGE):
        # Each part keeps a vowel («рас-смат», not «рас-с-мат»): of two rules' splits, the first that does.
        if "g" in kinds[last:position] and "g" in kinds[position:]:
            kept.append(position)
            last = position
    return kept


# About how wide a letter is at 12 px in Arial or a like font: a word that fits its line is left whole
# (hyphens in it would only let bpmn-js break it where it need not).
WIDE, NARROW = frozenset("жмфшщыюЖМФШЩЫЮ"), frozenset("гктзіїjlfrti")
WIDE_PX, NARROW_PX, LETTER_PX, CAPITAL_PX = 9.0, 5.2, 6.6, 8.0


def width_12px(word: str) -> float:
    return sum(WIDE_PX if c in WIDE else NARROW_PX if c in NARROW else CAPITAL_PX if c.isupper() else LETTER_PX
               for c in word)


def soft_hyphens(text: str, wider_than: float) -> str:
    """The text with soft hyphens in each Cyrillic word wider (at 12 px) than wider_than pixels."""

    def hyphenate(match: re.Match[str]) -> str:
        word = match.group(0)
        if width_12px(word) <= wider_than:
            return word
        parts, last = [], 0
        for position in syllable_breaks(word):
            parts.append(word[last:position])
            last = position
        parts.append(word[last:])
        return SOFT_HYPHEN.join(parts)

    return CYRILLIC_WORD.sub(hyphenate, text)
