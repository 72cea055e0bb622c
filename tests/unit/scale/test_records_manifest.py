"""Upload records and manifests: validation, streaming JSONL/Parquet, relative URIs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from deepscreen.core.errors import InvalidInput
from deepscreen.scale.manifest import BadRow, read_manifest
from deepscreen.scale.records import BadRecord, UploadRecord, fetch, parse_record


def test_a_full_record_keeps_id_uri_and_attributes() -> None:
    record = parse_record(
        {
            "id": "p-1",
            "uri": "file:///data/a.jpg",
            "uploader": "u1",
            "category": "news",
            "declared_ai": True,
            "uploaded_at": "2026-10-01T12:00:00+02:00",
            "attributes": {"country": "DE", "followers": 12},
        },
        where="row 1",
    )
    assert record.item_id == "p-1" and record.uri == "file:///data/a.jpg"
    assert record.attributes == {
        "country": "DE",
        "followers": 12,
        "uploader": "u1",
        "category": "news",
        "ai_disclosure": "ai",
        "uploaded_at": "2026-10-01T12:00:00+02:00",
    }


def test_inline_data_is_decoded() -> None:
    record = parse_record({"data_b64": base64.b64encode(b"abc").decode()}, where="m")
    assert record.data == b"abc" and record.item_id is None
    assert fetch(record, max_bytes=10) == b"abc"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "exactly one of 'uri' and 'data_b64'"),
        ({"uri": "a", "data_b64": "YQ=="}, "exactly one"),
        ({"uri": ""}, "non-empty string"),
        ({"data_b64": "not base64!"}, "not base64"),
        ({"uri": "a", "id": 7}, "'id' must be"),
        ({"uri": "a", "id": "x" * 600}, "'id' must be"),
        ({"uri": "a", "declared_ai": "yes"}, "true or false"),
        ({"uri": "a", "uploaded_at": "yesterday"}, "not an ISO 8601"),
        ({"uri": "a", "uploaded_at": "2026-10-01T12:00:00"}, "needs a time zone"),
        ({"uri": "a", "attributes": {"x": [1]}}, "string, number or boolean"),
        ({"uri": "a", "attributes": "x"}, "must be an object"),
    ],
)
def test_bad_records_are_refused_with_where_and_why(raw: dict, message: str) -> None:
    with pytest.raises(BadRecord, match=message) as info:
        parse_record(raw, where="m.jsonl:3")
    assert str(info.value).startswith("m.jsonl:3: ")


def test_fetch_reads_at_most_one_byte_over_the_limit_and_names_missing_files(
    tmp_path: Path,
) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 100)
    record = UploadRecord(uri=(tmp_path / "big.bin").as_uri())
    assert len(fetch(record, max_bytes=10)) == 11
    with pytest.raises(InvalidInput, match="cannot read"):
        fetch(UploadRecord(uri=str(tmp_path / "missing.jpg")), max_bytes=10)


def test_jsonl_manifest_streams_rows_resolves_relative_uris_and_reports_bad_lines(
    tmp_path: Path,
) -> None:
    lines = [
        json.dumps({"id": "a", "uri": "media/a.jpg"}),
        "",
        "{not json",
        json.dumps({"id": "b", "uri": "/abs/b.jpg"}),
        json.dumps({"id": "c"}),
        json.dumps({"uri": "file:///x/c.jpg"}),
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(lines) + "\n")
    for uri in (str(path), path.as_uri()):
        rows = list(read_manifest(uri))
        assert [type(r).__name__ for r in rows] == [
            "UploadRecord",
            "BadRow",
            "UploadRecord",
            "BadRow",
            "UploadRecord",
        ]
        first = rows[0]
        assert isinstance(first, UploadRecord) and first.uri is not None
        assert first.uri.endswith(f"{tmp_path.name}/media/a.jpg")
        bad = rows[1]
        assert isinstance(bad, BadRow) and bad.where.endswith("m.jsonl:3")
        assert [r.uri for r in rows[2:] if isinstance(r, UploadRecord)] == [
            "/abs/b.jpg",
            "file:///x/c.jpg",
        ]


def test_parquet_manifest_is_read_in_batches(tmp_path: Path, monkeypatch) -> None:
    import deepscreen.scale.manifest as manifest

    monkeypatch.setattr(manifest, "PARQUET_BATCH", 3)
    table = pa.table(
        {
            "id": [f"i{n}" for n in range(7)],
            "uri": [f"m/{n}.png" for n in range(7)],
            "declared_ai": [n % 2 == 0 for n in range(7)],
        }
    )
    path = tmp_path / "m.parquet"
    pq.write_table(table, path, row_group_size=4)
    rows = list(read_manifest(path.as_uri()))
    assert [r.item_id for r in rows if isinstance(r, UploadRecord)] == [f"i{n}" for n in range(7)]
    first = rows[0]
    assert isinstance(first, UploadRecord) and first.attributes["ai_disclosure"] == "ai"


def test_unknown_manifest_format_and_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"\.jsonl, \.ndjson or \.parquet"):
        list(read_manifest(str(tmp_path / "m.csv")))
    with pytest.raises(InvalidInput, match="cannot open"):
        list(read_manifest(str(tmp_path / "missing.jsonl")))
