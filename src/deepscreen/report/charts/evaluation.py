"""Charts of a detector evaluation: ROC and precision–recall curves, reliability diagram,
recall per source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt

from deepscreen.report.charts import base as b

# --------------------------------------------------------------------------- detector evaluation


def _estimate_text(evaluation: Mapping[str, Any], key: str, label: str) -> str:
    est = (evaluation.get("metrics") or {}).get(key) or {}
    value, low, high = b.num(est.get("value")), b.num(est.get("low")), b.num(est.get("high"))
    if value is None:
        return ""
    ci = f" (95% CI {low:.3f}–{high:.3f})" if low is not None and high is not None else ""
    return f"{label} {value:.3f}{ci}"


def _sample_text(evaluation: Mapping[str, Any]) -> str:
    n, pos, neg = (evaluation.get(k) for k in ("n", "positives", "negatives"))
    if not all(isinstance(v, int) for v in (n, pos, neg)):
        return ""
    return f"n = {n:,} items ({pos:,} AI-generated, {neg:,} real)"


def _curve(evaluation: Mapping[str, Any] | None, key: str, x: str, y: str) -> list[dict[str, Any]]:
    curve = (evaluation or {}).get(key) or {}
    pairs = zip(curve.get(x) or [], curve.get(y) or [], strict=False)
    return [
        {"i": i, "x": b.num(x_at), "y": b.num(y_at)}
        for i, (x_at, y_at) in enumerate(pairs)
        if b.num(x_at) is not None and b.num(y_at) is not None
    ]


def _diagonal() -> alt.Chart:
    line = [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 1.0}]
    chart: alt.Chart = b.chart(line).mark_line(color="#999", strokeDash=[4, 4])
    return chart.encode(x="x:Q", y="y:Q")


def _curve_chart(data: list[dict[str, Any]], x_title: str, y_title: str) -> alt.Chart:
    unit = alt.Scale(domain=[0, 1])
    chart: alt.Chart = b.chart(data).mark_line(color=b.OKABE_ITO[0], strokeWidth=2)
    return chart.encode(
        x=alt.X("x:Q", title=x_title, scale=unit, axis=alt.Axis(format="%")),
        y=alt.Y("y:Q", title=y_title, scale=unit, axis=alt.Axis(format="%")),
        order="i:Q",
    )


def roc_chart(evaluation: Mapping[str, Any] | None) -> str | None:
    """The ROC curve with the chance diagonal; AUC and its 95% CI in the subtitle."""
    data = _curve(evaluation, "roc", "fpr", "tpr")
    if not data or evaluation is None:
        return None
    curve = _curve_chart(
        data,
        "false-positive rate: real items flagged (%)",
        "true-positive rate: AI items flagged (%)",
    )
    subtitle = [_estimate_text(evaluation, "auc", "AUC"), _sample_text(evaluation)]
    title = b.title("ROC curve of the detector", subtitle)
    chart = alt.layer(_diagonal(), curve).properties(width=b.HEIGHT + 60, height=b.HEIGHT + 60)
    return b.svg(chart.properties(title=title))


def pr_chart(evaluation: Mapping[str, Any] | None) -> str | None:
    """The precision-recall curve; average precision and its 95% CI in the subtitle."""
    data = _curve(evaluation, "pr", "recall", "precision")
    if not data or evaluation is None:
        return None
    curve = _curve_chart(
        data, "recall: AI items flagged (%)", "precision: flagged items that are AI (%)"
    )
    subtitle = [
        _estimate_text(evaluation, "average_precision", "average precision"),
        _sample_text(evaluation),
    ]
    title = b.title("Precision-recall curve of the detector", subtitle)
    return b.svg(curve.properties(width=b.HEIGHT + 60, height=b.HEIGHT + 60, title=title))


def reliability_chart(evaluation: Mapping[str, Any] | None) -> str | None:
    """Reliability diagram: fraction AI-generated vs mean predicted score per bin, diagonal."""
    data = [
        {"x": b.num(r.get("mean_predicted")), "y": b.num(r.get("fraction_positive")), **r}
        for r in (evaluation or {}).get("reliability") or []
    ]
    data = [r for r in data if r["x"] is not None and r["y"] is not None]
    if not data or evaluation is None:
        return None
    unit = alt.Scale(domain=[0, 1])
    points = (
        b.chart(data)
        .mark_point(filled=True, color=b.OKABE_ITO[0], opacity=0.8)
        .encode(
            x=alt.X("x:Q", title="mean predicted probability of AI (%)", scale=unit).axis(
                format="%"
            ),
            y=alt.Y("y:Q", title="fraction AI-generated (%)", scale=unit).axis(format="%"),
            size=alt.Size("count:Q", title="items in bin"),
        )
    )
    line = b.chart(data).mark_line(color=b.OKABE_ITO[0]).encode(x="x:Q", y="y:Q")
    subtitle = [
        _estimate_text(evaluation, "ece", "ECE"),
        "dashed: perfect calibration; " + _sample_text(evaluation),
    ]
    title = b.title("Calibration of the detector", subtitle)
    chart = alt.layer(_diagonal(), line, points).properties(
        width=b.HEIGHT + 60, height=b.HEIGHT + 60
    )
    return b.svg(chart.properties(title=title))


def per_source_recall_chart(evaluation: Mapping[str, Any] | None) -> str | None:
    """Recall at the evaluation threshold per source of AI items, with 95% Wilson intervals."""
    data = []
    for r in (evaluation or {}).get("per_source") or []:
        recall = r.get("recall") or {}
        value = b.num(recall.get("value"))
        if value is None:
            continue
        low, high = b.num(recall.get("low")), b.num(recall.get("high"))
        both = low is not None and high is not None
        data.append(
            {
                "source": f"{r.get('source')} (n = {r.get('positives')})",
                "value": value,
                "ci_low": low if both else None,
                "ci_high": high if both else None,
            }
        )
    if not data or evaluation is None:
        return None
    y = alt.Y("source:N", sort=None, title=None)
    x_title = "recall: AI items flagged (%)"
    x = alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    layers: list[Any] = [b.chart(data).mark_bar(color=b.OKABE_ITO[0]).encode(x=x, y=y)]
    ci = [r for r in data if b.with_ci(r)]
    if ci:
        layers.append(b.errorbars(ci, alt.X("ci_low:Q", title=x_title), "ci_high", y=y))
    threshold = b.num(evaluation.get("threshold"))
    at = f"at threshold {threshold:g}; " if threshold is not None else ""
    note = f"{at}n = AI items; {b.CI_NOTE} (Wilson; rule of three at 0)"
    title = b.title("Recall per source of AI-generated items", note)
    chart = alt.layer(*layers).properties(width=b.WIDTH - 200, height=max(120, 26 * len(data)))
    return b.svg(chart.properties(title=title))
