"""Importing views, labels, appeals and notices: validated whole files, one transaction."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import ImportFileInvalid, InvalidInput
from deepscreen.service import scan_bytes
from deepscreen.service.impact import store_items
from deepscreen.service.impact_import import ImportKind, import_file
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


def png(colour: tuple[int, int, int], parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.fixture
def scanned():
    services = build(load_settings(None), store=InMemoryEventStore(), clock=ManualClock(T0))
    ai = scan_bytes(services, png((1, 2, 3), A1111), source="ai.png").item_id
    photo = scan_bytes(services, png((200, 9, 9)), source="photo.png").item_id
    return services, ai, photo


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_views_labels_appeals_notices_land_in_the_item_table(scanned, tmp_path: Path) -> None:
    services, ai, photo = scanned
    views = write(
        tmp_path,
        "views.csv",
        f"item_id,occurred_at,views\n{ai},2026-03-01T11:00Z,4\n"
        f"{ai},2026-03-02T12:00+00:00,40\n{photo},2026-03-02T12:00Z,9\n",
    )
    labels = write(
        tmp_path, "labels.csv", f"item_id,violating,label\n{ai},true,ai_generated\n{photo},0,real\n"
    )
    appeals = write(
        tmp_path,
        "appeals.csv",
        "item_id,received_at,decided_at,outcome\n"
        f"{ai},2026-03-03T00:00Z,2026-03-04T00:00Z,upheld\n",
    )
    notices = write(
        tmp_path,
        "notices.csv",
        f"item_id,occurred_at,notifier\n{photo},2026-03-01T13:00Z,trusted_flagger\n",
    )
    counts = [
        import_file(services, kind, path).events
        for kind, path in [
            (ImportKind.VIEWS, views),
            (ImportKind.LABELS, labels),
            (ImportKind.APPEALS, appeals),
            (ImportKind.NOTICES, notices),
        ]
    ]
    assert counts == [3, 2, 1, 1]
    rows = {r["item_id"]: r for r in store_items(services).to_pylist()}
    assert rows[ai]["views_total"] == 44 and rows[ai]["views_before_action"] == 4
    assert rows[ai]["violating"] is True and rows[ai]["label_source"] == "import"
    assert rows[ai]["appeal_outcome"] == "upheld"
    assert rows[photo]["violating"] is False and rows[photo]["notice_at"] is not None


def test_a_bad_row_imports_nothing_and_names_the_lines(scanned, tmp_path: Path) -> None:
    services, ai, photo = scanned
    before = len(list(services.store.read()))
    path = write(
        tmp_path,
        "views.csv",
        f"item_id,occurred_at,views\n{ai},2026-03-01T11:00Z,4\n"
        f"{ai},2026-03-01T11:00,5\nsha256:nope,2026-03-01T11:00Z,1\n{photo},"
        "2026-03-01T11:00Z,-2\n",
    )
    with pytest.raises(InvalidInput) as error:
        import_file(services, ImportKind.VIEWS, path)
    message = str(error.value)
    assert "3 bad row(s), nothing imported" in message
    assert "line 3: occurred_at" in message and "no time zone" in message
    assert "line 4: unknown item id 'sha256:nope'" in message and "line 5: views -2" in message
    assert len(list(services.store.read())) == before


@pytest.mark.parametrize(
    ("kind", "text", "match"),
    [
        (ImportKind.VIEWS, "item_id,views\n", "missing occurred_at"),
        (ImportKind.LABELS, "item_id,violating\n{ai},maybe\n", "not true/false"),
        (
            ImportKind.APPEALS,
            "item_id,received_at,decided_at,outcome\n"
            "{ai},2026-03-05T00:00Z,2026-03-04T00:00Z,upheld\n",
            "decided before it was received",
        ),
        (
            ImportKind.APPEALS,
            "item_id,received_at,decided_at,outcome\n"
            "{ai},2026-03-03T00:00Z,2026-03-04T00:00Z,overturned\n",
            "not one of upheld",
        ),
        (
            ImportKind.NOTICES,
            "item_id,occurred_at,notifier\n{ai},2026-03-01T13:00Z,bot\n",
            "notifier 'bot'",
        ),
    ],
)
def test_invalid_files_are_refused_clearly(scanned, tmp_path: Path, kind, text, match) -> None:
    services, ai, _ = scanned
    path = write(tmp_path, "in.csv", text.format(ai=ai))
    with pytest.raises(InvalidInput, match=match):
        import_file(services, kind, path)


def test_parquet_with_real_timestamps(scanned, tmp_path: Path) -> None:
    services, ai, _ = scanned
    table = pa.table(
        {
            "item_id": [ai, ai],
            "occurred_at": pa.array([T0, T0.replace(day=2)], pa.timestamp("us", tz="UTC")),
            "views": [3, 5],
        }
    )
    pq.write_table(table, tmp_path / "views.parquet")
    assert import_file(services, ImportKind.VIEWS, tmp_path / "views.parquet").events == 2
    rows = {r["item_id"]: r for r in store_items(services).to_pylist()}
    assert rows[ai]["views_total"] == 8


def test_unreadable_and_unknown_formats(scanned, tmp_path: Path) -> None:
    services, _, _ = scanned
    with pytest.raises(InvalidInput, match=r"expected a \.csv or \.parquet"):
        import_file(services, ImportKind.VIEWS, write(tmp_path, "v.txt", "x"))
    with pytest.raises(InvalidInput, match="cannot read"):
        import_file(services, ImportKind.VIEWS, write(tmp_path, "v.parquet", "not parquet"))


# --- issue 17, point 5: imports are idempotent, bounded, and refuse malformed files typed


def views_csv(tmp_path: Path, name: str, rows: list[tuple[str, str, object]]) -> Path:
    lines = "".join(f"{item},{at},{views}\n" for item, at, views in rows)
    return write(tmp_path, name, "item_id,occurred_at,views\n" + lines)


def count(services, kind: str = "views_observed") -> int:
    return sum(1 for _ in services.store.read(kinds=[kind]))


def test_the_same_file_imported_twice_is_applied_once(scanned, tmp_path: Path) -> None:
    services, ai, photo = scanned
    path = views_csv(
        tmp_path, "v.csv", [(ai, "2026-03-01T11:00Z", 4), (photo, "2026-03-01T11:00Z", 9)]
    )
    first = import_file(services, ImportKind.VIEWS, path)
    again = import_file(services, ImportKind.VIEWS, path, now=T0.replace(day=9))
    assert (first.events, first.already) == (2, None)
    assert again.events == 0 and again.already is not None
    assert again.already.imported_at == T0 and again.already.source == str(path)
    assert again.already.digest == first.record.digest and again.already.events == 2
    assert count(services) == 2  # the old code appended 4
    rows = {r["item_id"]: r for r in store_items(services).to_pylist()}
    assert rows[ai]["views_total"] == 4


def test_the_same_rows_reordered_or_as_parquet_are_the_same_content(scanned, tmp_path) -> None:
    services, ai, photo = scanned
    rows = [(ai, "2026-03-01T11:00Z", 4), (photo, "2026-03-01T12:00+01:00", 9)]
    import_file(services, ImportKind.VIEWS, views_csv(tmp_path, "a.csv", rows))
    reordered = views_csv(tmp_path, "b.csv", [rows[1], (ai, "2026-03-01T11:00:00+00:00", "04")])
    assert import_file(services, ImportKind.VIEWS, reordered).already is not None
    table = pa.table(
        {
            "views": [9, 4],
            "item_id": [photo, ai],
            "occurred_at": pa.array(
                [T0.replace(hour=11), T0.replace(hour=11)], pa.timestamp("us", tz="UTC")
            ),
        }
    )
    pq.write_table(table, tmp_path / "c.parquet")
    assert import_file(services, ImportKind.VIEWS, tmp_path / "c.parquet").already is not None
    more = views_csv(tmp_path, "d.csv", [*rows, (ai, "2026-03-02T11:00Z", 1)])
    assert import_file(services, ImportKind.VIEWS, more).events == 3  # other content: applied
    assert count(services) == 5


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (ImportKind.LABELS, "item_id,violating,label\n{ai},true,ai_generated\n"),
        (
            ImportKind.APPEALS,
            "item_id,received_at,decided_at,outcome\n{ai},2026-03-03T00:00Z,2026-03-04T00:00Z,upheld\n",
        ),
        (ImportKind.NOTICES, "item_id,occurred_at\n{ai},2026-03-01T13:00Z\n"),
    ],
)
def test_every_kind_is_imported_once(scanned, tmp_path: Path, kind, text) -> None:
    services, ai, _ = scanned
    before = len(list(services.store.read()))
    path = write(tmp_path, "in.csv", text.format(ai=ai))
    assert import_file(services, kind, path).events == 1
    # Labels without a time take the import's time: a later run is still the same content.
    assert import_file(services, kind, path, now=T0.replace(day=20)).already is not None
    assert len(list(services.store.read())) == before + 1


def test_the_import_record_is_durable_and_commits_with_its_events(tmp_path, monkeypatch) -> None:
    from deepscreen.store.events import sql as sql_module
    from deepscreen.store.events.sql import SqlEventStore

    url = f"sqlite:///{tmp_path / 'imports.db'}"
    services = build(load_settings(None, db_url=url), clock=ManualClock(T0))
    ai = scan_bytes(services, png((1, 2, 3), A1111), source="ai.png").item_id
    path = views_csv(tmp_path, "v.csv", [(ai, "2026-03-01T11:00Z", 4)])

    real_insert = sql_module.insert

    def crash_on_the_record(table):  # the process dies after the events, before the record
        if table is sql_module.s.imports:
            raise RuntimeError("crash")
        return real_insert(table)

    monkeypatch.setattr(sql_module, "insert", crash_on_the_record)
    with pytest.raises(RuntimeError, match="crash"):
        import_file(services, ImportKind.VIEWS, path)
    monkeypatch.undo()
    assert count(services) == 0  # no events without their record
    assert import_file(services, ImportKind.VIEWS, path).events == 1
    services.store.close()

    reopened = build(load_settings(None, db_url=url), clock=ManualClock(T0))
    assert import_file(reopened, ImportKind.VIEWS, path).already is not None
    with SqlEventStore(url) as store:
        assert sum(1 for _ in store.read(kinds=["views_observed"])) == 1
    reopened.store.close()


def test_views_out_of_range_are_refused_whole(scanned, tmp_path) -> None:
    services, ai, photo = scanned
    rows = [(ai, "2026-03-01T11:00Z", 5 * 10**18), (photo, "2026-03-01T11:00Z", 5 * 10**18)]
    with pytest.raises(ImportFileInvalid) as error:  # the old code imported them
        import_file(services, ImportKind.VIEWS, views_csv(tmp_path, "huge.csv", rows))
    message = str(error.value)
    assert "huge.csv: 2 bad row(s), nothing imported" in message
    assert (
        "line 2: views 5,000,000,000,000,000,000 is over the limit of 1,000,000,000,000" in message
    )
    assert "line 3: views 5,000,000,000,000,000,000" in message
    assert count(services) == 0


def test_an_items_total_views_are_bounded_so_impact_keeps_working(scanned, tmp_path) -> None:
    from deepscreen.service.impact import impact_report

    services, ai, _ = scanned
    windows = [
        (ai, f"2026-03-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}Z", 10**12)
        for i in range(1001)
    ]
    first = views_csv(tmp_path, "a.csv", windows[:999])
    assert import_file(services, ImportKind.VIEWS, first).events == 999
    over = views_csv(tmp_path, "b.csv", windows[999:])
    with pytest.raises(ImportFileInvalid) as error:
        import_file(services, ImportKind.VIEWS, over)
    assert "1 bad row(s)" in str(error.value)  # line 2 reaches 10^15 exactly: allowed
    assert "line 3: item" in str(error.value) and "would have 1,001,000,000,000,000 views" in str(
        error.value
    )
    assert import_file(services, ImportKind.VIEWS, views_csv(tmp_path, "c.csv", windows[999:1000]))
    report = impact_report(
        services, {}, period="all", by_segment=False, by_policy=False, bootstrap=False
    )
    assert report.items.num_rows == 2  # no ArrowInvalid at the largest total accepted


def test_times_and_text_are_bounded(scanned, tmp_path) -> None:
    services, ai, _ = scanned
    path = views_csv(
        tmp_path,
        "t.csv",
        [
            (ai, "9999-12-31T23:59:59-14:00", 1),
            (ai, "1900-01-01T00:00Z", 1),
            ("x" * 5000, "2026-03-01T00:00Z", 1),
        ],
    )
    with pytest.raises(ImportFileInvalid) as error:  # the old code raised OverflowError
        import_file(services, ImportKind.VIEWS, path)
    message = str(error.value)
    assert "line 2: occurred_at '9999-12-31T23:59:59-14:00' is outside 1970-01-01" in message
    assert "line 3: occurred_at '1900-01-01T00:00Z' is outside" in message
    assert "line 4: item_id is 5,000 characters long, over the limit of 256" in message


def parquet(tmp_path: Path, name: str, columns: dict) -> Path:
    pq.write_table(pa.table(columns), tmp_path / name)
    return tmp_path / name


MALFORMED = {
    "duplicated CSV column": (
        lambda d, ai: write(
            d, "dup.csv", f"item_id,occurred_at,views,views\n{ai},2026-03-01T11:00Z,5,6\n"
        ),
        r"line 1: column\(s\) 'views' appear more than once",
    ),
    "list column": (
        lambda d, ai: parquet(
            d,
            "l.parquet",
            {"item_id": [ai], "occurred_at": ["2026-03-01T11:00Z"], "views": [[1, 2]]},
        ),
        r"column 'views' holds list<element: int64> values: expected plain values",
    ),
    "struct column": (
        lambda d, ai: parquet(
            d,
            "s.parquet",
            {"item_id": [ai], "occurred_at": ["2026-03-01T11:00Z"], "views": [{"a": 1}]},
        ),
        r"column 'views' holds struct<a: int64> values",
    ),
    "binary column": (
        lambda d, ai: parquet(
            d,
            "b.parquet",
            {
                "item_id": pa.array([ai.encode()], pa.binary()),
                "occurred_at": ["2026-03-01T11:00Z"],
                "views": [1],
            },
        ),
        r"column 'item_id' holds binary values",
    ),
    "duplicated Parquet column": (
        lambda d, ai: (
            pq.write_table(
                pa.Table.from_arrays(
                    [pa.array([ai]), pa.array([1]), pa.array([2])], ["item_id", "views", "views"]
                ),
                d / "d.parquet",
            ),
            d / "d.parquet",
        )[1],
        r"the schema: column\(s\) 'views' appear more than once",
    ),
    "wrong types": (
        lambda d, ai: parquet(
            d, "w.parquet", {"item_id": [ai], "occurred_at": [20260301], "views": [True]}
        ),
        r"row 1: occurred_at 20260301 is not a time",
    ),
    "naive timestamps": (
        lambda d, ai: parquet(
            d,
            "n.parquet",
            {
                "item_id": [ai],
                "occurred_at": pa.array([datetime(2026, 3, 1)], pa.timestamp("us")),
                "views": [1],
            },
        ),
        r"row 1: occurred_at '2026-03-01T00:00:00' has no time zone",
    ),
    "fractional views": (
        lambda d, ai: parquet(
            d, "f.parquet", {"item_id": [ai], "occurred_at": ["2026-03-01T11:00Z"], "views": [2.5]}
        ),
        r"row 1: views 2.5 is not a whole number",
    ),
    "missing columns": (
        lambda d, ai: write(d, "m.csv", f"item_id,views\n{ai},1\n"),
        "missing occurred_at",
    ),
    "empty file": (lambda d, ai: write(d, "e.csv", ""), "empty file: no header line"),
    "header only": (
        lambda d, ai: write(d, "h.csv", "item_id,occurred_at,views\n"),
        r"no data rows \(only a header\)",
    ),
    "binary garbage CSV": (
        lambda d, ai: (d / "g.csv").write_bytes(bytes(range(256)) * 8) and d / "g.csv",
        r"not UTF-8 text|NUL character",
    ),
    "binary garbage Parquet": (
        lambda d, ai: (d / "g.parquet").write_bytes(bytes(range(256)) * 8) and d / "g.parquet",
        "cannot read as Parquet",
    ),
    "NUL in CSV": (
        lambda d, ai: write(d, "z.csv", f"item_id,occurred_at,views\n{ai},2026\x00,1\n"),
        "line 2: a NUL character",
    ),
    "huge field": (
        lambda d, ai: write(
            d, "x.csv", f"item_id,occurred_at,views\n{ai},2026-03-01T11:00Z,{'9' * 200_000}\n"
        ),
        r"line 2: unreadable CSV \(field larger than field limit",
    ),
    "unclosed quote": (
        lambda d, ai: write(d, "q.csv", f'item_id,occurred_at,views\n{ai},"2026-03-01T11:00Z,4\n'),
        r"line 2: unreadable CSV",
    ),
    "ragged row": (
        lambda d, ai: write(d, "r.csv", f"item_id,occurred_at,views\n{ai},2026-03-01T11:00Z,4,5\n"),
        r"line 2: 4 fields, the header has 3",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_every_malformed_file_gets_a_typed_error_naming_the_problem(
    scanned, tmp_path, case
) -> None:
    services, ai, _ = scanned
    make, match = MALFORMED[case]
    with pytest.raises(ImportFileInvalid, match=match) as error:
        import_file(services, ImportKind.VIEWS, make(tmp_path, ai))
    assert "nothing imported" in str(error.value) and error.value.code == "import_file_invalid"
    assert count(services) == 0


def test_line_numbers_count_blank_lines_and_quoted_newlines(scanned, tmp_path) -> None:
    services, ai, _ = scanned
    path = write(
        tmp_path,
        "labels.csv",
        f'item_id,violating,label\n\n{ai},true,"two\nlines"\n{ai},maybe,x\n',
    )
    with pytest.raises(ImportFileInvalid, match=r"line 5: violating 'maybe' is not true/false"):
        import_file(services, ImportKind.LABELS, path)


def test_a_trailing_comma_and_leading_blank_lines_are_fine(scanned, tmp_path) -> None:
    services, ai, _ = scanned
    path = write(tmp_path, "v.csv", f"\nitem_id,occurred_at,views,\n{ai},2026-03-01T11:00Z,4,\n")
    assert import_file(services, ImportKind.VIEWS, path).events == 1
    twice = write(tmp_path, "d.csv", f"\n\nitem_id,views,views\n{ai},1,2\n")
    with pytest.raises(
        ImportFileInvalid, match=r"line 3: column\(s\) 'views' appear more than once"
    ):
        import_file(services, ImportKind.VIEWS, twice)
