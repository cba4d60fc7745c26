"""Deserialized workflows of the last steps this process committed, so that the next step of the same
instance can skip deserializing its state.

Why it is safe: an entry is used only when the row the step has just loaded inside its own transaction
has the same revision, the same version (id and spec hash) and byte-for-byte the same state text that
this process wrote when it committed the entry (the state's head; its task rows are written only
together with the head, by a write that raises the revision, see persistence.py). Deserializing is a
pure function of the head, the task rows and the spec, so the cached object is what deserializing would
give; any other writer (another process, a restored backup, another database with the same ids) changes
the revision or the head (which names the instance's random root and last task ids) and the entry is
dropped. The step's `UPDATE ... WHERE revision = ?` still decides who wins a race.

An entry is taken out while a step works on it, so two threads never share one workflow object, and it
goes back only after that step's transaction has committed: a step that fails or loses leaves nothing
half-changed behind. Along with the workflow, the entry keeps the index rows written at that revision,
so the next step writes only the rows that differ (see indexes.refresh).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass
class Entry:
    revision: int
    version_id: int
    sha256: str
    state: str
    workflow: Any
    indexed: Any  # indexes.IndexRows written together with `state`
    stored: Any  # persistence.Stored: the head (`state`) and task rows written at this revision


# What an entry is taken to occupy, per character of its state (head and task rows): the text itself plus
# the workflow deserialized from it, measured at 3.4-5.3 times the text for the pathways in workflows/bpmn/.
BYTES_PER_STATE_CHAR = 6
DEFAULT_MEGABYTES = 64


class WorkflowCache:
    """An LRU of committed workflows per instance id, bounded by the memory its entries are taken to
    occupy (see BYTES_PER_STATE_CHAR); a budget of 0 switches it off."""

    def __init__(self, megabytes: int = DEFAULT_MEGABYTES) -> None:
        self.budget = megabytes * 1024 * 1024
        self.used = 0
        self.hits = self.misses = 0
        self._items: OrderedDict[int, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, revision: int, version_id: int, sha256: str, state: str) -> Entry | None:
        """The entry for exactly this committed row, removed from the cache; None on any difference."""
        with self._lock:
            entry = self._items.pop(instance_id, None)
            if entry is not None:
                self.used -= _weight(entry)
            fresh = (
                entry is not None
                and entry.revision == revision
                and entry.version_id == version_id
                and entry.sha256 == sha256
                and entry.state == state
            )
            if fresh:
                self.hits += 1
                return entry
            self.misses += 1
            return None

    def put(self, instance_id: int, entry: Entry) -> None:
        """Call only after the transaction that wrote `entry.state` has committed."""
        weight = _weight(entry)
        with self._lock:
            old = self._items.pop(instance_id, None)
            if old is not None:
                self.used -= _weight(old)
            if weight > self.budget:
                return  # also when the cache is off
            self._items[instance_id] = entry
            self.used += weight
            self._evict()

    def resize(self, megabytes: int) -> None:
        with self._lock:
            self.budget = megabytes * 1024 * 1024
            self._evict()

    def _evict(self) -> None:
        while self.used > self.budget and self._items:
            _id, oldest = self._items.popitem(last=False)
            self.used -= _weight(oldest)

    def discard(self, instance_id: int) -> None:
        with self._lock:
            entry = self._items.pop(instance_id, None)
            if entry is not None:
                self.used -= _weight(entry)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


def _weight(entry: Entry) -> int:
    return entry.stored.size * BYTES_PER_STATE_CHAR


WORKFLOWS = WorkflowCache()
