"""``deepscreen export dsa-transparency`` on a SQLite event store: scanned, reviewed, labelled
and appealed items → the transparency-report CSVs."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from typer.testing import CliRunner

from deepscreen.bootstrap import build
from deepscreen.cli.app import app
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.events import AppealOutcome, ReviewCompleted, Verdict
from deepscreen.service import Services, scan_bytes
from deepscreen.service.appeals import open_appeal, resolve_appeal
from deepscreen.service.observations import record_ground_truth
from deepscreen.service.review_queue import claim_next
from deepscreen.settings import load_settings

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"
FILES = [
    "Part_1_summary.csv",
    "Part_5_own_initiative_illegal.csv",
    "Part_6_own_initiative_TC.csv",
    "Part_7_appeals_and_recidivism.csv",
    "Part_8_automated_means.csv",
    "CSER_quarterly.csv",
]
MEASURES = "Number of measures taken at the provider's own initiative "
SOLELY = "Number of measures taken after detection with solely automated means "
COMPLAINTS = "Number of complaints submitted to the internal-complaints mechanism"


def png(colour: tuple[int, int, int], parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def scan_all(svc: Services, clock: ManualClock) -> dict[str, str]:
    """art1, art2 → labelled by the policy; news → review; plain → allowed."""
    specs = [
        ("art1", png((200, 10, 10), A1111), "art"),
        ("art2", png((10, 10, 200), A1111), "art"),
        ("news", png((10, 200, 10), A1111), "news"),
        ("plain", png((50, 50, 50)), "art"),
    ]
    items = {}
    for i, (name, data, category) in enumerate(specs):
        clock.set(T0 + i * H)
        outcome = scan_bytes(svc, data, source=f"{name}.png", attributes={"category": category})
        items[name] = outcome.item_id
    return items


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    """Four items: art1 (labelled, violating), art2 (labelled, not violating: appealed and
    reversed after 6 h), news (sent to review, alice removes it), plain (allowed, violating:
    a miss); art1's appeal is still pending."""
    url = f"sqlite:///{tmp_path / 'report.db'}"
    clock = ManualClock(T0)
    ids = count()
    settings = load_settings(None, db_url=url, review={"gold_share": 0.0})
    svc = build(settings, clock=clock, new_id=lambda: f"d{next(ids)}")
    try:
        items = scan_all(svc, clock)
        svc.store.append(
            [
                ReviewCompleted(
                    item_id=items["news"],
                    occurred_at=T0 + 26 * H,
                    verdict=Verdict.VIOLATING,
                    reviewer="alice",
                    reason_code="deepfake_of_real_person",
                    label="deepfake",
                    action=Action.REMOVE,
                )
            ]
        )
        truth = [("art1", True), ("art2", False), ("plain", True)]
        record_ground_truth(
            svc,
            [(items[name], T0 + 30 * H, violating, "x") for name, violating in truth],
            reviewer="label-import:test",
            reason_code="synthetic_label",
        )
        appeal = open_appeal(svc, items["art2"], "my own painting", now=T0 + 48 * H)
        claim_next(
            svc,
            "bo",
            now=T0 + 54 * H - timedelta(minutes=10),
            rng=random.Random(0),
            queues=["appeals"],
        )
        resolve_appeal(
            svc,
            appeal.task_id,
            "bo",
            outcome=AppealOutcome.REVERSED,
            reason_code="authentic_media",
            now=T0 + 54 * H,
        )
        open_appeal(svc, items["art1"], "disclosed in the caption", now=T0 + 60 * H)
    finally:
        svc.store.close()
        if svc.review_queue is not None:
            svc.review_queue.close()
    return ["--db", url]


def export(db: list[str], out: Path, *extra: str) -> tuple[int, str]:
    args = ["export", "dsa-transparency", "--out", str(out), "--service", "Example Video"]
    defaults = ["--since", "2026-01-01", "--until", "2026-03-31", "--published", "2026-05-01"]
    result = CliRunner().invoke(app, [*args, *defaults, *extra, *db])
    return result.exit_code, result.output


def read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert b"\r\n" in raw and not raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))


def value(rows: list[dict[str, str]], indicator: str, scope: str) -> str:
    (found,) = [r for r in rows if r["Indicator"] == indicator and r["Scope"] == scope]
    return found["Value"]


def test_export_writes_every_sheet_from_the_event_log(db: list[str], tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, output = export(db, out)
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert "3 statements of reasons, 2 complaints received, 1 classifier, 1 quarter" in output
    assert "Part_6_own_initiative_TC.csv  (98 rows)" in output

    summary = {r["Indicator"]: r["Value"] for r in read(out / "Part_1_summary.csv")}
    assert summary["Name of the service provider"] == "Example Video"
    assert summary["Starting date of reporting period"] == "2026-01-01"
    assert summary["Ending date of reporting period"] == "2026-03-31"

    tc = read(out / "Part_6_own_initiative_TC.csv")[0]
    assert tc["Reporting period"] == "2026-01-01/2026-03-31"
    assert (tc[MEASURES], tc[SOLELY]) == ("3", "2")
    assert tc["Visibility restriction Labelled "] == "2"
    assert tc["Visibility restriction Removal"] == "1"
    assert tc["Monetary restriction Suspension"] == tc["Account restriction Termination"] == ""
    illegal = read(out / "Part_5_own_initiative_illegal.csv")[0]
    assert (illegal[MEASURES], illegal[SOLELY]) == ("0", "0")

    appeals = read(out / "Part_7_appeals_and_recidivism.csv")
    assert value(appeals, COMPLAINTS, "Total number") == "2"  # one decided, one pending
    assert value(appeals, COMPLAINTS, "Decisions reversed") == "1"
    assert value(appeals, COMPLAINTS, "Decisions upheld") == "0"
    assert value(appeals, COMPLAINTS, "Median time") == "6.0"

    automated = read(out / "Part_8_automated_means.csv")
    solely = "Number of measures solely taken by automated means "
    assert value(automated, solely, "Total number") == "2"
    assert (
        value(automated, "Number of measures not taken by automated means", "Total number") == "1"
    )
    # Judged on its own actions (art1, art2): 1 of 2 right; it caught 1 of 3 violations
    # (news was restricted by a person); accuracy (1 + 0) / 4 labelled items.
    assert value(automated, "Accuracy of the automated means - Precision", "Total number") == "0.5"
    assert (
        value(automated, "Accuracy of the automated means - Recall", "Total number") == "0.333333"
    )
    assert value(automated, "Accuracy of the automated means - Accuracy", "Total number") == "0.25"

    (quarter,) = read(out / "CSER_quarterly.csv")
    assert quarter["quarter"] == "2026-Q1"
    assert (quarter["uploads"], quarter["actioned"], quarter["appealed"]) == ("4", "3", "2")
    assert (quarter["restored"], quarter["restored_with_appeal"]) == ("1", "1")
    assert quarter["violating_per_10k_uploads"] == "7500.0"
    assert quarter["labelled_items"] == "4"


def test_period_without_activity_reports_zeros(db: list[str], tmp_path: Path) -> None:
    out = tmp_path / "empty"
    code, output = export(db, out, "--since", "2025-01-01", "--until", "2025-12-31")
    assert code == 0, output
    tc = read(out / "Part_6_own_initiative_TC.csv")[0]
    assert (tc[MEASURES], tc["Visibility restriction Labelled "]) == ("0", "0")
    assert value(read(out / "Part_7_appeals_and_recidivism.csv"), COMPLAINTS, "Total number") == "0"
    quarters = read(out / "CSER_quarterly.csv")
    assert [q["quarter"] for q in quarters] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert {q["uploads"] for q in quarters} == {"0"}


def test_service_name_from_settings(db: list[str], tmp_path: Path) -> None:
    config = tmp_path / "deepscreen.toml"
    config.write_text('[dsa]\nservice_name = "Configured Video"\nprovider_name = "Owner BV"\n')
    out = tmp_path / "configured"
    result = CliRunner().invoke(
        app,
        [
            "export",
            "dsa-transparency",
            "--out",
            str(out),
            "--since",
            "2026-01-01",
            "--until",
            "2026-03-31",
            "--config",
            str(config),
            *db,
        ],
    )
    assert result.exit_code == 0, result.output
    summary = read(out / "Part_1_summary.csv")
    assert {r["Service"] for r in summary} == {"Configured Video"}
    assert summary[0]["Value"] == "Owner BV"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--since", "2026-13-01"], "not an ISO date"),
        (["--since", "2026-04-01"], "before --since"),
    ],
)
def test_bad_period_is_a_usage_error(
    db: list[str], tmp_path: Path, extra: list[str], message: str
) -> None:
    code, output = export(db, tmp_path / "bad", *extra)
    assert code == 2 and message in output
    assert not (tmp_path / "bad").exists()


def test_missing_service_name_is_a_usage_error(db: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["export", "dsa-transparency", "--out", str(tmp_path / "x")]
        + ["--since", "2026-01-01", "--until", "2026-03-31", *db],
    )
    assert result.exit_code == 2 and "--service" in result.output


def test_help_explains_the_report() -> None:
    result = CliRunner().invoke(app, ["export", "dsa-transparency", "--help"])
    assert result.exit_code == 0
    assert "transparency report" in result.stdout and "blank" in result.stdout
