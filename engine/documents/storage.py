"""Files named by their sha256: no user-chosen path ever reaches the file system, and the same file
uploaded twice is stored once.

`BlobStore` is what the engine's services take; `FileStore` keeps the files on disk under the instance
folder (the default); integrations/files.py chooses it or the store shared by several hosts.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[0-9a-f]{64}$")


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Stores the bytes; returns their key (sha256 hex)."""
        ...

    def read(self, key: str) -> bytes:
        """The bytes stored under the key; FileNotFoundError if there are none, ValueError for a bad key."""
        ...


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError("not a storage key")
    return key


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed, so a reader never sees half a file.
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
                handle.write(data)
            os.replace(handle.name, path)
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()
