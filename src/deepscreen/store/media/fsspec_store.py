"""``FsspecMediaStore``: retained media in a local directory or any fsspec file system (S3, GCS,
Azure, ... with its package installed); layout and write order in ``docs/internals/store.md``."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import fsspec

from deepscreen.core.errors import StoreUnavailable
from deepscreen.core.files import write_bytes_atomic
from deepscreen.store.media.cipher import FernetCipher
from deepscreen.store.media.ports import MediaGone, RetainedMedia

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class FsspecMediaStore:
    """The ``MediaStore`` port over fsspec ``url`` (a plain path is a local directory)."""

    def __init__(
        self,
        url: str,
        *,
        cipher: FernetCipher | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            fs, root = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        except (ImportError, ValueError) as exc:
            raise StoreUnavailable(f"media store {redact(url)}: {exc}") from exc
        self._fs, self._root = fs, str(root).rstrip("/")
        protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
        self._local = "file" in protocols or "local" in protocols
        self._cipher = cipher
        self.encrypted = cipher is not None
        self.location = redact(url)
        if self._local:
            with self._errors():
                os.makedirs(self._root, mode=0o700, exist_ok=True)

    def __repr__(self) -> str:
        return f"FsspecMediaStore({self.location!r}, encrypted={self.encrypted})"

    # ---------------------------------------------------------------- the port

    def put(self, media: RetainedMedia, data: bytes) -> None:
        payload = self._cipher.encrypt(data) if self._cipher else data
        record = _record_json(media)
        record["encrypted"] = self.encrypted
        with self._errors():
            self._write(self._path(media.item_id, ".json"), json.dumps(record).encode())
            self._write(self._path(media.item_id, ".bin"), payload)
            self._remove(self._path(media.item_id, ".gone.json"))

    def get(self, item_id: str) -> tuple[RetainedMedia, bytes] | None:
        with self._errors():
            record = self._read_record(item_id)
            payload = self._read(self._path(item_id, ".bin")) if record else None
        if record is None or payload is None:
            return None
        media, encrypted = record
        data = self._decrypt(payload) if encrypted else payload
        if hashlib.sha256(data).hexdigest() != media.sha256:
            log.warning("retained media of %s does not match its digest: not shown", item_id)
            return None
        return media, data

    def info(self, item_id: str) -> RetainedMedia | MediaGone | None:
        with self._errors():
            record = self._read_record(item_id)
            if record is not None:
                return record[0]
            note = self._read(self._path(item_id, ".gone.json"))
            return _note(json.loads(note)) if note is not None else None

    def delete(self, item_id: str, *, at: datetime, reason: str) -> bool:
        with self._errors():
            removed = self._remove(self._path(item_id, ".bin"))
            removed = self._remove(self._path(item_id, ".json")) or removed
            if removed:
                note = {"item_id": item_id, "deleted_at": at.isoformat(), "reason": reason}
                self._write(self._path(item_id, ".gone.json"), json.dumps(note).encode())
        return removed

    def records(self) -> Iterator[RetainedMedia]:
        for path in self._glob(".json", exclude=".gone.json"):
            record = self._parsed(path, lambda raw: _record(raw)[0])
            if record is not None:
                yield record

    def notes(self) -> Iterator[MediaGone]:
        for path in self._glob(".gone.json"):
            note = self._parsed(path, _note)
            if note is not None:
                yield note

    def forget_notes(self, before: datetime) -> int:
        old = [n.item_id for n in self.notes() if n.deleted_at < before]
        with self._errors():
            return sum(self._remove(self._path(i, ".gone.json")) for i in old)

    # ---------------------------------------------------------------- files

    def _path(self, item_id: str, suffix: str) -> str:
        key = hashlib.sha256(item_id.encode()).hexdigest()
        return f"{self._root}/{key[:2]}/{key}{suffix}"

    def _write(self, path: str, data: bytes) -> None:
        if not self._local:
            self._fs.pipe_file(path, data)
            return
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        write_bytes_atomic(Path(path), data)  # created 0600

    def _read(self, path: str) -> bytes | None:
        try:
            data = self._fs.cat_file(path)
        except FileNotFoundError:
            return None
        return bytes(data)

    def _remove(self, path: str) -> bool:
        try:
            self._fs.rm_file(path)
        except FileNotFoundError:
            return False
        return True

    def _glob(self, suffix: str, *, exclude: str | None = None) -> list[str]:
        with self._errors():
            paths = [str(p) for p in self._fs.glob(f"{self._root}/*/*{suffix}")]
        return sorted(p for p in paths if not (exclude and p.endswith(exclude)))

    def _parsed(self, path: str, parse: Callable[[Mapping[str, Any]], _T]) -> _T | None:
        """A listed file, parsed; None when it was deleted since it was listed, or is
        unreadable (logged: one bad file must not stop a purge)."""
        with self._errors():
            raw = self._read(path)
        if raw is None:
            return None
        try:
            return parse(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            log.warning("skipping the unreadable retained-media file %s", path)
            return None

    def _read_record(self, item_id: str) -> tuple[RetainedMedia, bool] | None:
        raw = self._read(self._path(item_id, ".json"))
        return None if raw is None else _record(json.loads(raw))

    def _decrypt(self, payload: bytes) -> bytes:
        if self._cipher is None:
            raise StoreUnavailable(
                "a retained media copy is encrypted but no [media_store] encryption_key is set"
            )
        return self._cipher.decrypt(payload)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except StoreUnavailable:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreUnavailable(f"media store {self.location}: {exc}") from exc


def _record_json(media: RetainedMedia) -> dict[str, Any]:
    return {
        "item_id": media.item_id,
        "mime": media.mime,
        "size_bytes": media.size_bytes,
        "sha256": media.sha256,
        "stored_at": media.stored_at.isoformat(),
        "expires_at": media.expires_at.isoformat(),
    }


def _record(raw: Mapping[str, Any]) -> tuple[RetainedMedia, bool]:
    media = RetainedMedia(
        item_id=str(raw["item_id"]),
        mime=str(raw["mime"]),
        size_bytes=int(raw["size_bytes"]),
        sha256=str(raw["sha256"]),
        stored_at=datetime.fromisoformat(raw["stored_at"]),
        expires_at=datetime.fromisoformat(raw["expires_at"]),
    )
    return media, bool(raw.get("encrypted", False))


def _note(raw: Mapping[str, Any]) -> MediaGone:
    return MediaGone(
        str(raw["item_id"]), datetime.fromisoformat(raw["deleted_at"]), str(raw["reason"])
    )


def redact(url: str) -> str:
    """``url`` without a password (``s3://key:secret@bucket`` → ``s3://key:***@bucket``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
