"""Draw a score-stratified labelling sample from the store and record it (``LabelSampled``),
and write the units as a CSV for labellers (``deepscreen.impact.sampling`` has the design)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import Event, LabelSampled
from deepscreen.core.files import atomic_writer
from deepscreen.impact.items import build_items
from deepscreen.impact.sampling import SampledUnit, SamplePlan, design_sample
from deepscreen.service.scan import Services
from deepscreen.store.events.arrow import events_table

CSV_COLUMNS = (
    "item_id",
    "violating",
    "label",
    "source",
    "population",
    "stratum",
    "draw",
    "inclusion_probability",
    "score",
    "action",
    "sample_id",
)
"""``violating`` and ``label`` are left empty for labellers: the filled file is a label import."""


@dataclass(frozen=True)
class SampleRun:
    """A recorded sample: its design and units, when it was drawn, and each item's source."""

    plan: SamplePlan
    drawn_at: datetime
    sources: Mapping[str, str]

    @property
    def sample_id(self) -> str:
        return self.plan.sample_id

    @property
    def units(self) -> tuple[SampledUnit, ...]:
        return self.plan.units


def draw_sample(
    services: Services,
    *,
    size: int,
    seed: int,
    floor: int = 5,
    exploration_share: float = 0.02,
    sample_id: str | None = None,
    prior: float = 0.5,
    edges: Sequence[float] | None = None,
) -> SampleRun:
    """Design a sample over every item in the store and append one ``LabelSampled`` per unit,
    all in one ``append`` (all or nothing). Raises ``InvalidInput`` when the store holds no
    items or the parameters cannot work (the message says what to change)."""
    events = events_table(services.store)
    items = build_items(events)
    if items.num_rows == 0:
        raise InvalidInput("the store holds no scanned items: scan media before sampling")
    sample_id = sample_id or f"sample-{services.new_id()}"
    try:
        plan = design_sample(
            items,
            size=size,
            seed=seed,
            sample_id=sample_id,
            floor=floor,
            exploration_share=exploration_share,
            prior=prior,
            edges=edges,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    now = services.clock()
    records: list[Event] = [
        LabelSampled(
            item_id=unit.item_id,
            occurred_at=now,
            sample_id=sample_id,
            stratum=unit.stratum,
            inclusion_probability=unit.inclusion_probability,
        )
        for unit in plan.units
    ]
    services.store.append(records)
    return SampleRun(plan, now, _sources(events, {u.item_id for u in plan.units}))


def write_sample_csv(run: SampleRun, path: Path) -> int:
    """Write the units (``CSV_COLUMNS``) beside ``path`` and rename: a failure leaves no half
    file. Returns the number of rows."""
    with atomic_writer(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for unit in run.units:
            writer.writerow(
                {
                    "item_id": unit.item_id,
                    "violating": "",
                    "label": "",
                    "source": run.sources.get(unit.item_id, ""),
                    "population": unit.population,
                    "stratum": unit.stratum,
                    "draw": unit.draw,
                    "inclusion_probability": repr(unit.inclusion_probability),
                    "score": "" if unit.score is None else repr(unit.score),
                    "action": unit.action or "",
                    "sample_id": run.sample_id,
                }
            )
    return len(run.units)


def _sources(events: pa.Table, item_ids: set[str]) -> dict[str, str]:
    """The ``source`` (file name or URL) each sampled item was ingested from, when recorded."""
    mask = pc.and_(
        pc.equal(events.column("event_type"), "item_ingested"),
        pc.is_in(events.column("item_id"), value_set=pa.array(sorted(item_ids), pa.string())),
    )
    rows = events.filter(mask).select(["item_id", "payload"]).to_pylist()
    return {row["item_id"]: json.loads(row["payload"]).get("source", "") for row in rows}
