"""The threshold optimiser's frontier chart: expected cost against false-positive rate and
review load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from deepscreen.report.charts import base as b

# --------------------------------------------------------------------------- optimization


def frontier_chart(
    frontier_rows: Sequence[Mapping[str, Any]] | None,
    currency: str,
    chosen: int | None = None,
) -> str | None:
    """Expected cost vs false-positive rate of the frontier's threshold combinations.

    Colour: review load (items/day). The chosen combination, ``frontier_rows[chosen]`` or the
    row with ``"chosen": True``, is ringed. Rows without a false-positive rate are left out.
    """
    data = []
    for i, r in enumerate(frontier_rows or []):
        fpr, cost = b.num(r.get("false_positive_rate")), b.num(r.get("expected_cost"))
        if fpr is None or cost is None:
            continue
        data.append(
            {
                "fpr": fpr,
                "cost": cost,
                "review": b.num(r.get("review_per_day")),
                "constraints": "met" if r.get("meets_constraints", True) else "not met",
                "chosen": i == chosen or r.get("chosen") is True,
            }
        )
    if not data:
        return None
    x = alt.X("fpr:Q", title="False-positive rate: real items actioned (%)").axis(format="%")
    y = alt.Y("cost:Q", title=f"Expected cost ({currency})" if currency else "Expected cost")
    points = (
        b.chart(data)
        .mark_point(filled=True, size=70, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "review:Q", title="Review load (items a day)", scale=alt.Scale(scheme="viridis")
            ),
            shape=alt.Shape("constraints:N", title="Constraints", sort=["met", "not met"]),
        )
    )
    layers: list[Any] = [points]
    picked = [r for r in data if r["chosen"]]
    if picked:
        ring = b.chart(picked).mark_point(size=320, strokeWidth=2.5, color="#D55E00", filled=False)
        label = b.chart(picked).mark_text(
            dx=14, dy=-12, align="left", color="#D55E00", fontWeight="bold", text="chosen"
        )
        layers += [ring.encode(x=x, y=y), label.encode(x=x, y=y)]
    title = b.title(
        "Threshold trade-off: cost, false positives and review load",
        "each point a threshold combination on the frontier; ringed: chosen",
    )
    return b.svg(alt.layer(*layers).properties(width=b.WIDTH, height=b.HEIGHT, title=title))
