"""What ``deepscreen train`` and ``deepscreen eval`` print: the evaluation with its bootstrap
intervals, per source, held-out families, skipped files and warnings."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deepscreen.core.numbers import format_value
from deepscreen.service.training import Estimate, EvalReport, LabelledSet, format_estimate


def ci(estimate: Estimate | None, percent: bool = False) -> str:
    if estimate is None or estimate.value is None:
        return "n/a"

    def fmt(value: float) -> str:  # the one formatter: shares as percentages, else 4 digits
        return format_value(value, "share" if percent else "count")

    if estimate.low is None or estimate.high is None:
        return f"{fmt(estimate.value)} (no CI)"
    return f"{fmt(estimate.value)} [{fmt(estimate.low)}, {fmt(estimate.high)}]"


LABELS = {
    "auc": ("ROC AUC", False),
    "average_precision": ("average precision", False),
    "tpr_at_1pct_fpr": ("TPR at 1% FPR", True),
    "tpr_at_5pct_fpr": ("TPR at 5% FPR", True),
    "ece": ("expected calibration error", False),
}


def print_summary(console: Console, dataset: LabelledSet, failures: Any, how: str) -> None:
    counts = dataset.counts()
    console.print(
        f"{len(dataset.items)} images ({counts['ai']} ai, {counts['real']} real) from "
        f"{escape(dataset.origin)}; evaluation: {how}"
    )
    print_failures(console, failures)


def print_failures(console: Console, failures: Any) -> None:
    if failures:
        console.print(f"[yellow]{len(failures)} file(s) skipped:[/yellow]")
        for path, reason in list(failures)[:10]:
            line = reason if path in reason else f"{path}: {reason}"
            console.print(f"  {escape(line)}", soft_wrap=True)  # paths stay whole


def print_evaluation(console: Console, report: EvalReport, title: str) -> None:
    table = Table(title=f"{title}: n={report.n} ({report.positives} ai, {report.negatives} real)")
    table.add_column("metric")
    table.add_column("estimate [95% bootstrap CI]", justify="right")
    for key, (label, percent) in LABELS.items():
        table.add_row(label, ci(report.metrics.get(key), percent))
    console.print(table)
    if report.per_source:
        at = f"per source, at threshold {report.threshold:.3f}"
        by_source = Table(title=f"{at} (95% CI: Wilson; rule of three at 0)")
        for column in ("source", "images", "recall (AI flagged)", "false-positive rate"):
            by_source.add_column(column, justify="left" if column == "source" else "right")
        for row in report.per_source:
            by_source.add_row(
                escape(str(row["source"]) or "(none)"),
                str(row["n"]),
                ci(row["recall"], True) if row["recall"] else "–",
                ci(row["fpr"], True) if row["fpr"] else "–",
            )
        console.print(by_source)


def print_held_out(console: Console, rows: list[Any]) -> None:
    table = Table(title="leave-one-generator-out (family held out, scored against held-out real)")
    for name in ("held-out family", "AI", "real", "AUC", "TPR @ 1% FPR", "recall @ threshold"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            escape(row.family),
            str(row.ai_images),
            str(row.real_images),
            format_estimate(row.auc),
            format_estimate(row.tpr_at_1pct_fpr),
            format_estimate(row.recall_at_threshold),
        )
    console.print(table)


def print_warnings(console: Console, warnings: list[str]) -> None:
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
