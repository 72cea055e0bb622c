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
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from deepscreen.cli.app import app
from deepscreen.core.numbers import NOISE

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE = bool(os.environ.get("DEEPSCREEN_UPDATE_GOLDEN"))
CANDIDATE = Path(__file__).parents[2] / "src" / "deepscreen" / "demo" / "candidate"
THRESHOLDS = Path(__file__).parents[2] / "src" / "deepscreen" / "policies" / "thresholds"
DEMO_TOML = Path(__file__).parents[2] / "src" / "deepscreen" / "demo" / "demo.toml"
FIXED_NOW = "2026-11-25T00:00:00+00:00"


def _db(demo_dir: Path) -> str:
    """The ``demo_dir`` fixture (tests/e2e/conftest.py) is one session-wide demo."""
    return f"sqlite:///{demo_dir / 'deepscreen-demo.db'}"


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}: run with DEEPSCREEN_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{name} differs from its golden file (see module doc)"


def _portable(value: object) -> object:
    """``value`` with every float rounded to 10 significant digits, and rounding noise (below
    ``core.numbers.NOISE``, which the report prints as 0) as 0: libm and SIMD reductions differ
    in the last bits between CPUs (an AMD and an Intel machine disagree on a Wilson bound's 16th
    digit; an AVX-512 machine's bootstrap gives 4.4e-16 for a change the others give as 0)."""
    if isinstance(value, float):
        return 0.0 if abs(value) < NOISE else float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_portable(v) for v in value]
    return value


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
    text = json.dumps(_portable(doc), indent=1, ensure_ascii=False) + "\n"
    _check_golden("report_demo.json", text)


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


@pytest.mark.parametrize("costs", [False, True], ids=["default-settings", "demo-costs"])
def test_case_study_pdf_is_one_a4_page(
    runner: CliRunner, demo_dir: Path, tmp_path, costs: bool
) -> None:
    """One A4 page with its chart, with or without the cost inputs (with them, the per-day and
    per-month cost rows and their scaling formulas are on the page too)."""
    out = tmp_path / "case.pdf"
    args = ["report", "case-study", "--policy", str(CANDIDATE), "--format", "pdf", "-o", str(out)]
    args += ["--config", str(DEMO_TOML)] if costs else []
    result = runner.invoke(app, [*args, "--n-boot", "200", "--db", _db(demo_dir)])
    assert result.exit_code == 0, result.output
    pages = PdfReader(out).pages
    assert len(pages) == 1
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = " ".join(pages[0].extract_text().split())
    assert "Before and after, with the 95% interval of the change" in text  # the one chart
    if costs:  # the per-month row says how it was scaled
        assert "scaled: review cost ÷ 150 items × 3,000,000 uploads/month" in text


MINUTES = re.compile(r"\d\s*(min|minutes?)\b")
"""A duration in minutes: reports print every duration in hours."""


class _Cells(HTMLParser):
    """(attributes, visible text) of every table cell; raw-name code spans left out."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[dict[str, str | None], str]] = []
        self._cell: tuple[dict[str, str | None], list[str]] | None = None
        self._code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th"):
            self._cell = (dict(attrs), [])
        elif tag == "code" and ("class", "id") in attrs:
            self._code = True
        elif tag == "br" and self._cell is not None:
            self._cell[1].append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append((self._cell[0], " ".join("".join(self._cell[1]).split())))
            self._cell = None
        elif tag == "code":
            self._code = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._code:
            self._cell[1].append(data)


def test_demo_report_is_readable(demo_dir: Path) -> None:
    """Issue 18, readable output: labels not raw ids in every table, units on chart axes, per-
    month figures with their scaling formula, durations in hours, no float noise."""
    from deepscreen.core.metrics import REGISTRY, label

    doc = json.loads((demo_dir / "report.json").read_text())
    ids = set(REGISTRY) | {r["metric"] for r in doc["metrics"]}
    ids |= {r["metric"] for r in [*doc["comparison"]["metrics"], *doc["daily"]]}
    html = (demo_dir / "report.html").read_text()
    parser = _Cells()
    parser.feed(re.sub(r"<svg.*?</svg>", "", html, flags=re.S))
    assert not [text for _, text in parser.cells if text in ids]
    tagged = [(a["data-metric"], t) for a, t in parser.cells if a.get("data-metric")]
    assert len(tagged) > 40
    for metric, text in tagged:
        assert text.startswith(label(metric)) and label(metric) != metric, metric
    month = [t for a, t in parser.cells if a.get("data-metric") == "review_cost_per_month"]
    assert month and "scaled: review cost ÷" in month[0] and "uploads/month" in month[0]
    titles = re.findall(r'role-axis-title"[^>]*><text[^>]*>([^<]+)</text>', html)
    units = ("%", "hours", "per 10,000", "(count)", "views", "USD", "Upload ")
    assert titles and all(any(u in t for u in units) for t in titles), titles
    assert not re.search(r"\d[eE]-\d", re.sub(r"<svg.*?</svg>", "", html, flags=re.S))
    case = (demo_dir / "case-study.md").read_text()
    assert not MINUTES.search(case) and " h " in case
    assert "review cost a month (= review cost ÷" in case
    assert not re.search(r"\d[eE]-\d", case)
    statements = " ".join(s["text"] for s in doc["statements"])
    assert not MINUTES.search(statements)


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


OPTIMIZE_ENV = {
    "DEEPSCREEN_ENSEMBLE__ENABLED": "true",  # the thresholds bundle acts on signals.ensemble
    "DEEPSCREEN_COSTS__HARM_PER_VIOLATING_VIEW__DEFAULT": "0.002",  # not in the demo's costs
    "COLUMNS": "200",
}


@pytest.fixture(scope="module")
def optimization_json(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documented chain's first half, run for real on the demo database: `deepscreen costs
    init`, then `deepscreen impact optimize --json FILE` with those costs."""
    work = tmp_path_factory.mktemp("optimize")
    runner = CliRunner()
    costs = work / "costs.toml"
    result = runner.invoke(app, ["costs", "init", str(costs)])
    assert result.exit_code == 0, result.output
    path = work / "opt.json"
    args = ["impact", "optimize", "--db", _db(demo_dir), "--config", str(costs)]
    args += ["--out", str(work / "candidate"), "--json", str(path)]
    result = runner.invoke(app, args, env=OPTIMIZE_ENV)
    assert result.exit_code == 0, result.output
    assert "chosen thresholds" in result.stdout  # the human output stays on stdout
    return path


def test_optimize_json_file_is_the_report_input(
    runner: CliRunner, demo_dir: Path, optimization_json: Path, tmp_path: Path
) -> None:
    from deepscreen.report.formatting import number
    from deepscreen.report.sections_analyses import threshold_cell

    data = json.loads(optimization_json.read_text())
    assert (data["kind"], data["version"]) == ("deepscreen.threshold_optimization", 1)
    assert data["frontier"] and sum(r["chosen"] for r in data["frontier"]) == 1
    base = ["--n-boot", "200", "--db", _db(demo_dir), "--optimization", str(optimization_json)]
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["report", "--format", "json", "-o", str(out), *base])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["optimization"] == data  # the same numbers, not a re-computation
    md = tmp_path / "report.md"
    result = runner.invoke(app, ["report", "--format", "md", "-o", str(md), *base])
    assert result.exit_code == 0, result.output
    text = md.read_text()
    assert "## Cost trade-off frontier" in text
    assert f"Expected cost ({data['currency']})" in text
    for row in data["frontier"]:
        cells = [
            ", ".join(threshold_cell(a, t) for a, t in row["thresholds"].items()),
            number(row["expected_cost"]),
            number(row["false_positive_rate"], share=True),
            number(row["review_per_day"]),
            "yes" if row["meets_constraints"] else "no",
            "chosen" if row["chosen"] else "",
        ]
        assert "| " + " | ".join(cells) + " |" in text, cells


def test_report_refuses_a_file_that_is_not_an_optimisation_result(
    runner: CliRunner, demo_dir: Path, optimization_json: Path, tmp_path: Path
) -> None:
    data = json.loads(optimization_json.read_text())
    cases = {
        "old.json": ({"optimum": data, "candidate": {}, "costs": {}}, "earlier deepscreen"),
        "sim.json": ({"rows": [], "combinations": []}, "deepscreen simulate --json"),
        "v2.json": ({**data, "version": 2}, "version 2: this deepscreen reads version 1"),
        "other.json": ({**data, "kind": "x"}, "kind is 'x'"),
        "bad.json": ({**data, "frontier": [{"thresholds": {}}]}, "frontier.0.expected_cost"),
        "list.json": ([1], "holds a JSON list, not an object"),
    }
    for name, (content, expected) in cases.items():
        path = tmp_path / name
        path.write_text(json.dumps(content))
        args = ["report", "--optimization", str(path), "-o", str(tmp_path / "r.md")]
        result = runner.invoke(app, [*args, "--format", "md", "--db", _db(demo_dir)])
        assert result.exit_code == 1, (name, result.output)
        message = " ".join(result.output.split())
        assert f"{path}: not a threshold optimisation result" in message, name
        assert expected in message, (name, message)


def test_report_sections_from_evaluation_simulation_and_optimization(
    runner: CliRunner, demo_dir: Path, optimization_json: Path, tmp_path: Path
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
    args += ["--optimization", str(optimization_json)]
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
