"""Where uploads, signed PDFs and the CA's files live: one interface, chosen by CAREPATH_FILE_STORE.

- `local` (the default): the instance folder (`uploads/`, `keys/`), as one machine runs the platform.
- `database`: tables of the application's PostgreSQL database (`stored_file`, `key_file`), which every
  web and worker host already reaches, so a document uploaded through one host is read through any
  other and every host signs with the same CA. No second service to run and back up; files are content
  addressed, so the table only grows by distinct documents (a few hundred KB each, limited by
  CAREPATH_UPLOAD_MAX_MB). The CA's private keys are stored only encrypted with CAREPATH_KEYS_PASSPHRASE,
  which each host reads from its own secret file (`CAREPATH_KEYS_PASSPHRASE_FILE`); config refuses the
  database store without it.

Callers ask `file_store(settings)` for a `BlobStore` (engine/documents/storage.py) and `signing(settings)`
for the process's signer of PDFs; none of them knows which store is behind.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql

from engine.config import Settings
from engine.db import make_engine
from engine.documents.models import KeyFile, StoredFile
from engine.documents.storage import BlobStore, FileStore, check_key
from reports.ca import PlatformCA
from reports.signing import SignedDocuments, signed_documents

# pg_advisory_lock key of the CA's creation lock (any constant both sides agree on: "CA" in ASCII).
CA_LOCK = 0x4341


@cache
def _engine(url: str) -> Engine:
    # One small pool per process for the stores, apart from the request's session: a file is written in
    # its own short transaction, so it never waits on (or holds) the request's locks.
    return make_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=True)


class DatabaseFileStore:
    """Files in the `stored_file` table (PostgreSQL), named by their sha256 like FileStore."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        with self.engine.begin() as conn:
            if conn.execute(select(StoredFile.key).where(StoredFile.key == key)).first() is None:
                # Two hosts storing the same file at once: the second insert does nothing.
                conn.execute(postgresql.insert(StoredFile).values(
                    key=key, data=data, size=len(data), created_at=datetime.now(UTC)
                ).on_conflict_do_nothing(index_elements=[StoredFile.key]))
        return key

    def read(self, key: str) -> bytes:
        check_key(key)
        with self.engine.connect() as conn:
            data = conn.execute(select(StoredFile.data).where(StoredFile.key == key)).scalar()
        if data is None:
            raise FileNotFoundError(key)
        return bytes(data)


class DatabaseKeyVault:
    """The CA's files in the `key_file` table; creation serialized by a PostgreSQL advisory lock, so two
    hosts starting together never make two roots."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.Lock()  # threads of one process queue here, not on the database

    def read(self, name: str) -> bytes | None:
        with self.engine.connect() as conn:
            data = conn.execute(select(KeyFile.data).where(KeyFile.name == name)).scalar()
        return None if data is None else bytes(data)

    def write(self, name: str, data: bytes, *, private: bool) -> None:
        if private and b"ENCRYPTED" not in data.split(b"\n", 1)[0]:
            raise ValueError("a private key goes to the shared store only encrypted")
        statement = postgresql.insert(KeyFile).values(name=name, data=data, updated_at=datetime.now(UTC))
        with self.engine.begin() as conn:
            conn.execute(statement.on_conflict_do_update(
                index_elements=[KeyFile.name], set_={"data": data, "updated_at": datetime.now(UTC)}
            ))

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._local, self.engine.connect() as conn:
            conn.execute(select(func.pg_advisory_lock(CA_LOCK)))
            try:
                yield
            finally:
                conn.execute(select(func.pg_advisory_unlock(CA_LOCK)))
                conn.commit()


def file_store(settings: Settings, folder: str = "") -> BlobStore:
    """The store of uploaded documents and signed PDFs. `folder` is a sub-folder of the local store
    (keys are content hashes, so the shared store needs none)."""
    if settings.file_store == "database":
        return DatabaseFileStore(_engine(settings.database_url))
    return FileStore(settings.uploads_path / folder if folder else settings.uploads_path)


def platform_ca(settings: Settings, organization: str = "CarePath") -> PlatformCA:
    return signing(settings, organization).ca


def signing(settings: Settings, organization: str = "CarePath") -> SignedDocuments:
    """The process's signer of PDFs (signers stay loaded between documents)."""
    if settings.file_store == "local" and not settings.keys_passphrase:
        return signed_documents(settings.keys_path, organization)
    return _signing(settings.file_store, settings.database_url, str(settings.keys_path),
                    settings.keys_passphrase or "", organization)


@cache
def _signing(store: str, database_url: str, keys_path: str, passphrase: str, organization: str) -> SignedDocuments:
    from pathlib import Path

    vault = DatabaseKeyVault(_engine(database_url)) if store == "database" else Path(keys_path)
    return SignedDocuments(PlatformCA(vault, organization, passphrase=passphrase.encode() or None))
