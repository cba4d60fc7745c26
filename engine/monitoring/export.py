"""A patient's monitoring data as CSV, through engine.csv_safe (cells that a spreadsheet would run as a
formula, such as a comment starting with "=", are neutralised)."""

from __future__ import annotations

from engine.csv_safe import write_rows
from engine.monitoring.history import History
from engine.monitoring.models import MEASUREMENT, MEDICATION

HEADER = ("date", "status", "time_of_day", "kind", "item", "value", "value2", "unit", "beyond_threshold", "comment")


def to_csv(history: History) -> str:
    rows: list[tuple[object, ...]] = [HEADER]
    for q in sorted(history.days, key=lambda d: d.day):
        answers = history.answers.get(q.id, {})
        if not answers:
            rows.append((q.day.isoformat(), q.status, "", "", "", "", "", "", "", q.comment))
        for item_id, answer in answers.items():
            item = history.items[item_id]
            if item.kind == MEASUREMENT:
                value, value2 = answer.value, answer.value2
            elif item.kind == MEDICATION:
                value, value2 = ("taken" if answer.taken else "not taken"), None
            else:
                value = item.options[answer.choice or 0] if item.options else answer.choice
                value2 = None
            rows.append((q.day.isoformat(), q.status, item.time_of_day, item.kind, item.title, value, value2,
                         item.unit, answer.beyond, q.comment))
    return write_rows(rows)
