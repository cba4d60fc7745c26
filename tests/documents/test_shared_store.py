"""The file store several hosts share (integrations/files.py): documents and the CA in PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select, text

from engine.config import ConfigError, load_settings
from engine.documents.models import KeyFile
from engine.documents.storage import FileStore
from integrations.files import DatabaseFileStore, DatabaseKeyVault, file_store
from reports.ca import PlatformCA
from tests.conftest import POSTGRES_URL

PASSPHRASE = b"a secret from a file of each host"


@pytest.fixture
def shared(postgres_engine):
    with postgres_engine.begin() as conn:
        conn.execute(text("TRUNCATE stored_file, key_file"))
    return postgres_engine


def test_a_file_stored_through_one_host_is_read_through_another(shared):
    first, second = DatabaseFileStore(shared), DatabaseFileStore(shared)
    data = b"%PDF-1.4 a scan of a referral"
    key = first.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert second.read(key) == data
    assert second.put(data) == key  # stored once
    with shared.connect() as conn:
        assert conn.execute(text("select count(*) from stored_file")).scalar() == 1


def test_unknown_and_malformed_keys_are_refused(shared):
    store = DatabaseFileStore(shared)
    with pytest.raises(FileNotFoundError):
        store.read("0" * 64)
    with pytest.raises(ValueError):
        store.read("../../etc/passwd")
    with pytest.raises(ValueError):
        FileStore(Path("/nonexistent")).read("../x")


def test_hosts_starting_together_make_one_root_and_keep_private_keys_encrypted(shared):
    roots = []

    def start_host() -> None:
        ca = PlatformCA(DatabaseKeyVault(shared), passphrase=PASSPHRASE)
        roots.append(ca.root_certificate())

    threads = [threading.Thread(target=start_host) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({root.fingerprint(root.signature_hash_algorithm) for root in roots}) == 1

    signer = PlatformCA(DatabaseKeyVault(shared), passphrase=PASSPHRASE).doctor(7, "Иванова А. П.")
    other_host = PlatformCA(DatabaseKeyVault(shared), passphrase=PASSPHRASE).doctor(7, "Иванова А. П.")
    assert signer.certificate == other_host.certificate  # the second host reuses the signer
    assert signer.chain[0] == roots[0]

    with shared.connect() as conn:
        files = dict(conn.execute(select(KeyFile.name, KeyFile.data)).all())
    assert set(files) == {"ca/root.key.pem", "ca/root.cert.pem", "signers/doctor-7.key.pem",
                          "signers/doctor-7.cert.pem"}
    for name in ("ca/root.key.pem", "signers/doctor-7.key.pem"):
        assert files[name].startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(TypeError):  # unreadable without the passphrase
            serialization.load_pem_private_key(files[name], password=None)


def test_the_shared_vault_refuses_a_plain_private_key(shared):
    with pytest.raises(ValueError, match="only encrypted"):
        PlatformCA(DatabaseKeyVault(shared)).root_certificate()


def test_a_local_passphrase_encrypts_keys_on_disk_and_old_plain_keys_still_load(tmp_path):
    plain_root = PlatformCA(tmp_path).root_certificate()
    assert PlatformCA(tmp_path, passphrase=PASSPHRASE).root_certificate() == plain_root
    PlatformCA(tmp_path, passphrase=PASSPHRASE).organization_signer()
    key = (tmp_path / "signers" / "organization.key.pem").read_bytes()
    assert key.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_the_store_is_chosen_by_a_setting(tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text("s3cret\n")
    env = {"CAREPATH_INSTANCE_PATH": str(tmp_path / "instance"), "CAREPATH_SECRET_KEY": "x"}
    assert isinstance(file_store(load_settings(env)), FileStore)
    with pytest.raises(ConfigError, match="CAREPATH_FILE_STORE must be one of local, database"):
        load_settings({**env, "CAREPATH_FILE_STORE": "nfs"})
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_settings({**env, "CAREPATH_FILE_STORE": "database", "CAREPATH_KEYS_PASSPHRASE_FILE": str(secret)})
    postgres = {**env, "CAREPATH_FILE_STORE": "database", "CAREPATH_DATABASE_URL": POSTGRES_URL}
    with pytest.raises(ConfigError, match="CAREPATH_KEYS_PASSPHRASE_FILE"):
        load_settings(postgres)
    settings = load_settings({**postgres, "CAREPATH_KEYS_PASSPHRASE_FILE": str(secret)})
    assert settings.keys_passphrase == "s3cret"
    assert isinstance(file_store(settings), DatabaseFileStore)
