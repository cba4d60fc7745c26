"""Medical documents patients upload: checked by content, stored by hash, immutable once submitted.

Who may read a document: the patient it belongs to, the person who uploaded it, and people it was
granted to (the doctors of a consultation, later the rehab specialist) — never by guessing an id.
"""
