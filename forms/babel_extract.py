"""Babel extractor for user-task form files (JSON Schema + uiSchema): the texts a person reads.

Registered in babel.cfg (``form = forms.babel_extract:extract_form``), so ``make translations`` puts the
titles, descriptions, option labels, help, placeholders, submit texts, units and slider labels of every
pathway's forms into the catalog; `forms.authored` looks them up when the form is built.

Values (``const``, ``default``, ``pattern``...) are never extracted: task data and BPMN conditions compare
them. A text without a single letter (``★★★``) reads the same in every language and is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

# Keys whose text value is shown to people, in a schema and in a uiSchema.
TEXT_KEYS = frozenset({"title", "description", "ui:help", "ui:placeholder", "submitText", "unit"})
# Keys holding lists of shown texts: a string enum's values are also its option labels.
LIST_KEYS = frozenset({"enum", "labels"})
# Never descended into: values and annotations for analysts, not people.
# "if" of a condition (allOf) holds the values an answer is compared with, never a shown text.
SKIPPED_KEYS = frozenset({"const", "default", "pattern", "format", "$comment", "$id", "$schema", "ui:order", "if"})

Extracted = tuple[int, None, str, list[str]]


def shown_texts(node: Any) -> Iterator[str]:
    """Every text of the form file a person reads, in file order (duplicates included)."""
    if isinstance(node, list):
        for item in node:
            yield from shown_texts(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in SKIPPED_KEYS:
            continue
        if key in TEXT_KEYS and isinstance(value, str):
            yield value
        elif key in LIST_KEYS and isinstance(value, list):
            yield from (item for item in value if isinstance(item, str))
        else:
            # A property may be named "title" or "unit": its value is then an object and is walked.
            yield from shown_texts(value)


def is_translatable(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def line_of(source: str, text: str) -> int:
    """The first line holding the text as JSON writes it (json gives no positions; good enough for
    a reference in the catalog)."""
    for encoded in (json.dumps(text, ensure_ascii=False), json.dumps(text)):
        at = source.find(encoded)
        if at >= 0:
            return source.count("\n", 0, at) + 1
    return 1


def extract_form(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Extracted]:
    """Babel's extractor protocol: (line, function name, message, comments) per text."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    try:
        document = json.loads(source)
    except ValueError as exc:
        # A broken form file fails deploy anyway; extraction names it instead of stopping the catalog.
        raise ValueError(f"{getattr(fileobj, 'name', 'form file')} is not valid JSON: {exc}") from exc
    for text in shown_texts(document):
        if is_translatable(text):
            yield line_of(source, text), None, text, []
