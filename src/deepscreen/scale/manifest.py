"""Backfill manifests: JSONL or Parquet files of upload records (``records.parse_record``), opened
through fsspec and read as a stream, never whole; a bad row becomes a ``BadRow`` and the stream
goes on (details: docs/internals/scale.md)."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

import fsspec
import pyarrow.parquet as pq

from deepscreen.core.errors import InvalidInput
from deepscreen.scale.records import BadRecord, UploadRecord, parse_record

PARQUET_BATCH = 1024
MAX_LINE = 1 << 20


@dataclass(frozen=True)
class BadRow:
    where: str
    error: str


def manifest_format(uri: str) -> str:
    name = uri.lower().rsplit("?", 1)[0]
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    raise InvalidInput(f"{uri}: a manifest must be .jsonl, .ndjson or .parquet")


def read_manifest(uri: str) -> Iterator[UploadRecord | BadRow]:
    """Stream the records of the manifest at ``uri`` (format: docs/internals/scale.md)."""
    kind = manifest_format(uri)
    base = _base_of(uri)
    rows = _jsonl_rows(uri) if kind == "jsonl" else _parquet_rows(uri)
    for where, raw in rows:
        if isinstance(raw, BadRow):
            yield raw
            continue
        try:
            record = parse_record(raw, where=where)
        except BadRecord as exc:
            yield BadRow(where, str(exc))
            continue
        yield _resolved(record, base)


def _base_of(uri: str) -> str:
    protocol, path = fsspec.core.split_protocol(uri)
    directory = posixpath.dirname(path)
    return f"{protocol}://{directory}" if protocol else directory


def _resolved(record: UploadRecord, base: str) -> UploadRecord:
    uri = record.uri
    if uri is None or "://" in uri or uri.startswith("/") or not base:
        return record
    return UploadRecord(posixpath.join(base, uri), record.data, record.item_id, record.attributes)


def _jsonl_rows(uri: str) -> Iterator[tuple[str, dict[str, object] | BadRow]]:
    try:
        opened = fsspec.open(uri, "rt", encoding="utf-8")
        handle = opened.open()
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{uri}: cannot open the manifest: {exc}") from None
    with handle:
        for number, line in enumerate(_lines(handle, uri), start=1):
            where = f"{uri}:{number}"
            if not line.strip():
                continue
            if len(line) > MAX_LINE:
                yield where, BadRow(where, f"line longer than {MAX_LINE:,} characters")
                continue
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, BadRow(where, f"not JSON: {exc}")


def _lines(handle: object, uri: str) -> Iterator[str]:
    try:
        yield from handle  # type: ignore[misc]
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{uri}: not UTF-8 text: {exc}") from None


def _parquet_rows(uri: str) -> Iterator[tuple[str, dict[str, object] | BadRow]]:
    try:
        handle = fsspec.open(uri, "rb").open()
        parquet = pq.ParquetFile(handle)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{uri}: cannot read the Parquet manifest: {exc}") from None
    number = 0
    with handle:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
            for row in batch.to_pylist():
                number += 1
                yield f"{uri}#row{number}", row
