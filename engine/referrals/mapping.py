"""Remembered column choices: once a manager has said which column of a region's table is which, the next
table from the same referring institution, or with the same set of headers in any order, is read the
same way without asking.

A choice is kept as header key -> field ("" = the column is not used), under two keys: the header set
(`headers:` + sha256 of the sorted header keys) and, when the table's rows name one referring
institution, that institution (`institution:` + its name in lower case), which also covers its next
table with a column added or renamed elsewhere. Both are looked up; the header set's choice wins.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import now
from engine.referrals.models import ReferralColumnMapping
from engine.referrals.parse import Table, header_key

Choice = dict[str, str]  # header key -> field, "" = not used


def headers_key(headers: tuple[str, ...] | list[str]) -> str:
    keys = sorted({header_key(h) for h in headers if header_key(h)})
    return "headers:" + hashlib.sha256("\n".join(keys).encode()).hexdigest()


def institution_key(name: str) -> str:
    return ("institution:" + " ".join(name.casefold().replace("ё", "е").split()))[:200]


def institution_of(table: Table) -> str | None:
    """The referring institution the rows name, when one name covers most of them."""
    column = next((i for i, f in table.columns.items() if f == "institution"), None)
    if column is None:
        return None
    names = Counter(cells[column].strip() if column < len(cells) else "" for _, cells in table.lines)
    names.pop("", None)
    if not names:
        return None
    name, rows = names.most_common(1)[0]
    return name if rows * 2 > len(table.lines) else None


def remembered_for(session: Session, table: Table) -> Choice:
    found: Choice = {}
    institution = institution_of(table)
    keys = ([institution_key(institution)] if institution else []) + [headers_key(table.headers)]
    stored = {m.key: m.columns for m in session.scalars(select(ReferralColumnMapping).where(ReferralColumnMapping.key.in_(keys)))}
    for key in keys:  # the header set's choice last, so it wins
        found.update(stored.get(key, {}))
    return found


def remember(session: Session, user_id: int, table: Table) -> None:
    """Keep the table's column choice for its header set and its referring institution."""
    choice: Choice = {header_key(h): table.columns.get(i, "") for i, h in enumerate(table.headers) if header_key(h)}
    institution = institution_of(table)
    for key in [headers_key(table.headers)] + ([institution_key(institution)] if institution else []):
        row = session.scalar(select(ReferralColumnMapping).where(ReferralColumnMapping.key == key))
        if row is None:
            row = ReferralColumnMapping(key=key)
            session.add(row)
        row.columns, row.updated_by, row.updated_at = dict(choice), user_id, now()
    session.flush()
