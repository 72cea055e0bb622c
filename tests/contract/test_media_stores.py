"""The media ports' contracts over every adapter: the retained-media store in memory, in a
local directory (plain and Fernet-encrypted) and on fsspec's in-memory file system; reviewer
preferences in memory, SQLite (file, memory) and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from deepscreen.core.errors import ConfigError, StoreUnavailable
from deepscreen.store.media.cipher import FernetCipher
from deepscreen.store.media.fsspec_store import FsspecMediaStore, redact
from deepscreen.store.media.memory import InMemoryMediaStore, InMemoryReviewerPreferences
from deepscreen.store.media.sql import SqlReviewerPreferences
from deepscreen.store.media.testing import (
    DATA,
    T0,
    MediaStoreContract,
    ReviewerPreferencesContract,
    record,
)
from deepscreen.store.sql.database import SqlDatabase

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")
KEY = Fernet.generate_key().decode()


class TestMediaStore(MediaStoreContract):
    @pytest.fixture(params=["memory", "local", "local-encrypted", "fsspec-memory"])
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        if request.param == "memory":
            yield InMemoryMediaStore()
        elif request.param == "local":
            yield FsspecMediaStore(str(tmp_path / "media"))
        elif request.param == "local-encrypted":
            yield FsspecMediaStore(str(tmp_path / "media"), cipher=FernetCipher(KEY))
        else:
            root = f"memory://deepscreen-test-{uuid.uuid4().hex}"
            store = FsspecMediaStore(root)
            yield store
            store._fs.rm(store._root, recursive=True)  # the memory file system is per process


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_local_store_is_private_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = FsspecMediaStore(str(root))
    store.put(record("a"), DATA)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    files = _files(root)
    assert sorted(p.suffix for p in files) == [".bin", ".json"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert all("a" != p.stem for p in files)  # names are digests of the id, never the id


def test_an_encrypted_store_keeps_no_plaintext_and_rotates_keys(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = FsspecMediaStore(str(root), cipher=FernetCipher(KEY))
    assert store.encrypted
    store.put(record("a"), DATA)
    stored = next(p for p in _files(root) if p.suffix == ".bin").read_bytes()
    assert DATA not in stored and DATA[:64] not in stored
    new = Fernet.generate_key().decode()
    rotated = FsspecMediaStore(str(root), cipher=FernetCipher(f"{new},{KEY}"))
    assert rotated.get("a") == (record("a"), DATA)  # old copies still read
    with pytest.raises(StoreUnavailable, match="cannot be decrypted"):
        FsspecMediaStore(str(root), cipher=FernetCipher(new)).get("a")
    with pytest.raises(StoreUnavailable, match="no \\[media_store\\] encryption_key"):
        FsspecMediaStore(str(root)).get("a")


def test_a_copy_whose_bytes_are_missing_or_altered_reads_as_absent(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = FsspecMediaStore(str(root))
    store.put(record("a"), DATA)
    data_file = next(p for p in _files(root) if p.suffix == ".bin")
    data_file.write_bytes(DATA[:-1] + b"!")
    assert store.get("a") is None and store.info("a") == record("a")
    data_file.unlink()  # a crash between writing the record and the bytes
    assert store.get("a") is None
    assert store.delete("a", at=T0, reason="retention ended")  # the purge still cleans up
    assert [p.name.endswith(".gone.json") for p in _files(root)] == [True]


def test_a_bad_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a Fernet key"):
        FernetCipher("not-a-key")
    with pytest.raises(ConfigError, match="empty"):
        FernetCipher(" , ")


def test_locations_never_show_a_password() -> None:
    assert redact("s3://key:secret@bucket/media") == "s3://key:***@bucket/media"
    assert redact("/var/lib/deepscreen/media") == "/var/lib/deepscreen/media"


BACKENDS = [
    "memory",
    "sqlite-file",
    "sqlite-memory",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


class TestReviewerPreferences(ReviewerPreferencesContract):
    @pytest.fixture(params=BACKENDS)
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        if request.param == "memory":
            store: Any = InMemoryReviewerPreferences()
        elif request.param == "sqlite-file":
            store = SqlReviewerPreferences(SqlDatabase(f"sqlite:///{tmp_path / 'prefs.db'}"))
        elif request.param == "sqlite-memory":
            store = SqlReviewerPreferences(SqlDatabase("sqlite:///:memory:"))
        else:
            schema = request.getfixturevalue("postgres_schema")
            store = SqlReviewerPreferences(SqlDatabase(str(POSTGRES_URL), schema=schema))
        yield store
        store.close()


def test_an_unreadable_record_is_skipped_by_listings(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = FsspecMediaStore(str(root))
    store.put(record("a"), DATA)
    store.put(record("b"), DATA)
    key = hashlib.sha256(b"a").hexdigest()
    (root / key[:2] / f"{key}.json").write_text("{not json")
    assert [m.item_id for m in store.records()] == ["b"]  # a purge goes on past one bad file
    with pytest.raises(StoreUnavailable):
        store.info("a")
