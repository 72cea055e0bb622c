"""``deepscreen demo`` ends with the report and the case study; ``deepscreen report`` renders
them from a database: golden JSON report and Markdown case study, a one-page PDF, and the HTML
report opened in headless Chromium.

Golden files: tests/golden/. After an intended change to the report, regenerate them with
``DEEPSCREEN_UPDATE_GOLDEN=1 pytest tests/e2e/test_cli_report.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from deepscreen.cli.app import app

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE = bool(os.environ.get("DEEPSCREEN_UPDATE_GOLDEN"))
CANDIDATE = Path(__file__).parents[2] / "src" / "deepscreen" / "demo" / "candidate"
THRESHOLDS = Path(__file__).parents[2] / "src" / "deepscreen" / "policies" / "thresholds"
DEMO_TOML = Path(__file__).parents[2] / "src" / "deepscreen" / "demo" / "demo.toml"
FIXED_NOW = "2026-11-25T00:00:00+00:00"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--items", "150"])
    assert result.exit_code == 0, result.output
    return out


def _db(demo_dir: Path) -> str:
    return f"sqlite:///{demo_dir / 'deepscreen-demo.db'}"


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}: run with DEEPSCREEN_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{name} differs from its golden file (see module doc)"


def test_demo_writes_the_report_and_a_one_page_case_study(demo_dir: Path) -> None:
    for name in ("report.html", "report.json", "case-study.md", "case-study.pdf"):
        assert (demo_dir / name).stat().st_size > 0, name
    assert len(PdfReader(demo_dir / "case-study.pdf").pages) == 1
    doc = json.loads((demo_dir / "report.json").read_text())
    assert doc["data"]["synthetic"] is True
    assert doc["comparison"]["candidate_name"] == "label-first"
    texts = [s["text"] for s in doc["statements"]]
    assert texts and all("synthetic" in t for t in texts)
    assert all(s["rows"] for s in doc["statements"])


def test_json_report_matches_its_golden_file(runner: CliRunner, demo_dir: Path, tmp_path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "report",
            "--format", "json",
            "-o", str(out),
            "--period", "all",
            "--policy", str(CANDIDATE),
            "--n-boot", "200",
            "--db", _db(demo_dir),
            "--config", str(DEMO_TOML),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    doc["generated_at"] = FIXED_NOW
    _check_golden("report_demo.json", json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def test_markdown_case_study_matches_its_golden_file(
    runner: CliRunner, demo_dir: Path, tmp_path
) -> None:
    out = tmp_path / "case.md"
    args = ["report", "case-study", "--policy", str(CANDIDATE), "--format", "md", "-o", str(out)]
    args += ["--n-boot", "200", "--db", _db(demo_dir), "--config", str(DEMO_TOML)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    for heading in ("Problem", "Change", "Daily impact", "Cost avoided", "Reviewer time saved"):
        assert f"**{heading}.**" in text
    assert "**False-positive cost.**" in text and "95% CI" in text
    _check_golden("case_study_demo.md", text)


def test_case_study_pdf_is_one_a4_page(runner: CliRunner, demo_dir: Path, tmp_path) -> None:
    out = tmp_path / "case.pdf"
    args = ["report", "case-study", "--policy", str(CANDIDATE), "--format", "pdf", "-o", str(out)]
    result = runner.invoke(app, [*args, "--n-boot", "200", "--db", _db(demo_dir)])
    assert result.exit_code == 0, result.output
    pages = PdfReader(out).pages
    assert len(pages) == 1
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_markdown_and_pdf_reports_and_refusals(runner: CliRunner, demo_dir: Path, tmp_path) -> None:
    md = tmp_path / "r.md"
    base = ["--n-boot", "200", "--db", _db(demo_dir)]
    result = runner.invoke(app, ["report", "--format", "md", "-o", str(md), *base])
    assert result.exit_code == 0, result.output
    text = md.read_text()
    assert "## Headline impact" in text and "## Assumptions and data sources" in text
    assert "## Policy comparison" not in text  # no --policy given
    pdf = tmp_path / "r.pdf"
    result = runner.invoke(app, ["report", "--format", "pdf", "-o", str(pdf), *base])
    assert result.exit_code == 0, result.output
    assert len(PdfReader(pdf).pages) >= 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"rows": []}')
    result = runner.invoke(app, ["report", "--simulation", str(bad), "-o", str(md), *base])
    assert result.exit_code != 0
    assert "lacks combinations" in result.output
    result = runner.invoke(app, ["report", "case-study", "--policy", str(tmp_path), *base])
    assert result.exit_code != 0  # not a policy bundle


def test_html_report_renders_in_headless_chromium(demo_dir: Path, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path(os.environ.get("DEEPSCREEN_TEST_CHROMIUM", "/usr/bin/chromium"))
    if os.environ.get("CI"):
        assert chromium.is_file(), f"CI needs Chromium at {chromium}"
    if not chromium.is_file():
        pytest.skip(f"no Chromium at {chromium} (set DEEPSCREEN_TEST_CHROMIUM)")
    from PIL import Image, ImageStat

    html = demo_dir / "report.html"
    text = html.read_text()
    assert not re.search(r"""(src|href)=["']https?:""", text), "the report must be offline"
    shot = tmp_path / "report.png"
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri())
            assert page.locator("h1").inner_text().startswith("deepscreen demo")
            assert page.locator("section").count() >= 6
            assert page.locator("figure.chart svg").count() >= 5
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert [r for r in requests if not r.startswith("file:")] == []
    image = Image.open(shot).convert("L")
    assert image.height > 2000  # the whole report, not an empty page
    stat = ImageStat.Stat(image)
    assert stat.stddev[0] > 20, "the screenshot is blank"
    assert len(image.getcolors(maxcolors=1 << 16) or []) > 50


def _evaluation_json(path: Path) -> Path:
    """A detector evaluation as `deepscreen eval --json` nests it (``evaluation`` key)."""
    import numpy as np

    from deepscreen.learn.metrics import evaluate

    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 400)
    scores = np.clip(0.35 * y + rng.normal(0.35, 0.2, 400), 0, 1)
    sources = [("sdxl" if i % 2 else "midjourney") if y[i] else "camera" for i in range(400)]
    report = evaluate(y, scores, sources=sources, n_boot=200, seed=0)
    path.write_text(json.dumps({"evaluation": report.to_dict()}))
    return path


def _optimization_json(path: Path) -> Path:
    """A threshold optimisation as `deepscreen impact optimize --json` prints it."""
    from datetime import UTC, datetime

    import numpy as np
    import pyarrow as pa

    from deepscreen.impact.costs import CostModel
    from deepscreen.impact.items import ITEM_SCHEMA
    from deepscreen.impact.optimize import optimize_thresholds

    rng = np.random.default_rng(3)
    rows = [
        {
            "item_id": f"i{n}",
            "ingested_at": datetime(2026, 10, 1 + n % 20, tzinfo=UTC),
            "score": float(score),
            "violating": bool(rng.random() < score),
            "views_total": int(rng.integers(1, 5000)),
            "segment": "",
            "enforced": False,
        }
        for n, score in enumerate(rng.random(300))
    ]
    model = CostModel(
        currency="USD",
        review_cost_per_item=0.65,
        wrongful_action_cost={"default": 0.65},
        harm_per_violating_view={"default": 0.001},
    )
    result = optimize_thresholds(pa.Table.from_pylist(rows, schema=ITEM_SCHEMA), model)
    path.write_text(json.dumps(result.to_dict(), default=str))
    return path


def test_report_sections_from_evaluation_simulation_and_optimization(
    runner: CliRunner, demo_dir: Path, tmp_path: Path
) -> None:
    from importlib.resources import files

    scenario = files("deepscreen.simulate").joinpath("scenarios", "small.yaml").read_text()
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(scenario.replace("\ndays: 14\n", "\ndays: 1\n").replace("20000", "2000"))
    sim = tmp_path / "sim.json"
    result = runner.invoke(
        app,
        ["simulate", str(tiny), "--compare", str(THRESHOLDS), "--replications", "2"]
        + ["--json", str(sim)],
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "full.html"
    args = ["report", "-o", str(out), "--n-boot", "200", "--db", _db(demo_dir)]
    args += ["--evaluation", str(_evaluation_json(tmp_path / "eval.json"))]
    args += ["--simulation", str(sim), "--policy", str(CANDIDATE)]
    args += ["--optimization", str(_optimization_json(tmp_path / "opt.json"))]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    html = out.read_text()
    for section in ("detector", "comparison", "frontier", "simulation", "assumptions"):
        assert f'<section id="{section}">' in html, section
    for title in ("ROC curve", "Calibration of the detector", "frontier", "simulated"):
        assert title in html, title
    assert "Simulated (scenario small, 2 replications)" in html
    assert "detector evaluation read from eval.json" in html
    md = tmp_path / "full.md"
    result = runner.invoke(app, ["report", "--format", "md", *args[1:], "-o", str(md)])
    assert result.exit_code == 0, result.output
    text = md.read_text()
    assert "## Detector quality" in text and "| midjourney |" in text
    assert "## Cost trade-off frontier" in text and "## What-if (simulated)" in text
