"""Score-stratified labelling samples (``design_sample``): Neyman allocation over score strata
of the actioned and non-actioned items, plus a uniform exploration draw, each unit with its π.
Design: docs/internals/impact.md; for users: docs/metrics.md, 'Labelling samples'."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa

Population = Literal["actioned", "non_actioned"]
POPULATIONS: tuple[Population, ...] = ("actioned", "non_actioned")
STRATIFIED, EXPLORATION = "stratified", "exploration"
REQUIRED_COLUMNS = ("item_id", "score", "enforced", "action", "violating")

UNITS_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("item_id", pa.string()),
        ("population", pa.string()),
        ("stratum", pa.string()),
        ("draw", pa.string()),
        ("inclusion_probability", pa.float64()),
        ("score", pa.float64()),
        ("action", pa.string()),
    ]
)


@dataclass(frozen=True, eq=False)
class FrameStratum:
    """One stratum of the frame: its items (row indices, in item-id order) and known labels."""

    name: str
    population: Population
    score_low: float | None
    score_high: float | None
    members: np.ndarray
    labelled: int
    violating: int


@dataclass(frozen=True, eq=False)
class SamplingFrame:
    """The population cut into strata; build once, draw many samples from it."""

    item_id: np.ndarray
    score: np.ndarray
    action: np.ndarray
    strata: tuple[FrameStratum, ...]


@dataclass(frozen=True, slots=True)
class SampledUnit:
    """One item to label; ``inclusion_probability`` is its probability of being drawn (0, 1]."""

    item_id: str
    stratum: str
    population: Population
    inclusion_probability: float
    score: float | None
    action: str | None
    draw: str = STRATIFIED


@dataclass(frozen=True, slots=True)
class StratumPlan:
    """A stratum's design: ``allocated`` of its ``population_size`` items drawn at random,
    ``explored`` more by the exploration draw, each item with ``inclusion_probability``;
    ``prior`` is the violation rate the allocation assumed (from ``labelled`` items)."""

    name: str
    population: Population
    score_low: float | None
    score_high: float | None
    population_size: int
    allocated: int
    explored: int
    prior: float
    labelled: int
    inclusion_probability: float


@dataclass(frozen=True)
class SamplePlan:
    """A drawn sample: per-stratum design, the units (in random order) and what was capped."""

    sample_id: str
    seed: int
    size: int
    strata: tuple[StratumPlan, ...]
    units: tuple[SampledUnit, ...]
    exploration_size: int
    notes: tuple[str, ...] = field(default=())

    def population_sizes(self, population: Population | None = None) -> dict[str, int]:
        """``N_h`` per stratum name (of one population, or all): what the estimators need."""
        return {
            s.name: s.population_size
            for s in self.strata
            if population is None or s.population == population
        }

    def to_arrow(self) -> pa.Table:
        rows = [{"sample_id": self.sample_id, **asdict(u)} for u in self.units]
        return pa.Table.from_pylist(rows, schema=UNITS_SCHEMA)


def build_frame(
    items: pa.Table, *, edges: Sequence[float] | None = None, bins: int = 10
) -> SamplingFrame:
    """Cut an item table (``ITEM_SCHEMA``, or any table with ``REQUIRED_COLUMNS``) into strata."""
    missing = [c for c in REQUIRED_COLUMNS if c not in items.column_names]
    if missing:
        raise ValueError(f"the item table lacks column(s) {', '.join(missing)}")
    if items.num_rows == 0:
        raise ValueError("no items to sample: the store holds no scanned items")
    cuts = _checked_edges(edges, bins)
    item_id = np.asarray(items.column("item_id").to_pylist(), dtype=object)
    score = np.asarray(items.column("score").to_numpy(zero_copy_only=False), dtype=float)
    action = np.asarray(items.column("action").to_pylist(), dtype=object)
    enforced = np.asarray(items.column("enforced").fill_null(False).to_pylist(), dtype=bool)
    violating = np.asarray(items.column("violating").to_pylist(), dtype=object)
    actioned = enforced | (action == "review")
    order = np.argsort(item_id.astype(str), kind="stable")
    strata: list[FrameStratum] = []
    for population in POPULATIONS:
        in_pop = actioned if population == "actioned" else ~actioned
        rows = order[in_pop[order]]
        strata.extend(_population_strata(population, rows, score, violating, cuts, bins))
    kept = tuple(s for s in strata if len(s.members))
    return SamplingFrame(item_id, score, action, kept)


def neyman_allocation(
    sizes: Sequence[int], proportions: Sequence[float], total: int, *, floor: int
) -> tuple[int, ...]:
    """Integer ``n_h`` summing to ``total`` that minimise the stratified variance
    ``Σ N_h² S_h²/n_h`` (``S_h² = p_h(1 − p_h)``) subject to ``min(floor, N_h) ≤ n_h ≤ N_h``."""
    n_pop = np.asarray(sizes, dtype=float)
    s = np.sqrt([p * (1 - p) for p in proportions])
    low, high = np.minimum(floor, n_pop), n_pop
    if total < low.sum() or total > high.sum():
        raise ValueError(f"total {total} is outside [{int(low.sum())}, {int(high.sum())}]")
    weight = n_pop * s
    if not np.all(weight > 0):
        raise ValueError("every stratum needs N_h > 0 and 0 < p_h < 1")
    # Σ clip(λ·w_h, lo_h, hi_h) is continuous, piecewise linear and non-decreasing in λ:
    # evaluate it at the breakpoints and interpolate on the segment that reaches ``total``.
    breaks = np.unique(np.concatenate([low / weight, high / weight]))
    filled = np.array([np.clip(b * weight, low, high).sum() for b in breaks])
    i = min(int(np.searchsorted(filled, total)), len(breaks) - 1)
    lam = breaks[i]
    if i > 0 and filled[i] > filled[i - 1]:
        lam = breaks[i - 1] + (total - filled[i - 1]) / (filled[i] - filled[i - 1]) * (
            breaks[i] - breaks[i - 1]
        )
    exact = np.clip(lam * weight, low, high)
    counts = np.clip(np.floor(exact + 1e-9), low, high).astype(int)
    while (short := total - int(counts.sum())) != 0:  # largest remainder, within the bounds
        rest = exact - counts
        if short > 0:
            counts[int(np.argmax(np.where(counts < high, rest, -np.inf)))] += 1
        else:
            counts[int(np.argmin(np.where(counts > low, rest, np.inf)))] -= 1
    return tuple(int(c) for c in counts)


def design_sample(
    items: pa.Table | SamplingFrame,
    *,
    size: int,
    seed: int,
    sample_id: str,
    floor: int = 5,
    exploration_share: float = 0.02,
    prior: float = 0.5,
    edges: Sequence[float] | None = None,
    bins: int = 10,
) -> SamplePlan:
    """Draw a score-stratified sample of ``size`` items plus the exploration share (design:
    docs/internals/impact.md); ``edges`` and ``bins`` apply when ``items`` is a table, not a frame.
    Raises ``ValueError`` saying what to change when the inputs cannot work."""
    _check_parameters(size=size, seed=seed, floor=floor, share=exploration_share, prior=prior)
    frame = (
        items if isinstance(items, SamplingFrame) else build_frame(items, edges=edges, bins=bins)
    )
    n_pop = [len(s.members) for s in frame.strata]
    notes: list[str] = []
    total = size
    if size > sum(n_pop):
        total = sum(n_pop)
        notes.append(f"size {size} capped at the population size {total}: every item is drawn")
    floors = sum(min(floor, n) for n in n_pop)
    if total < floors:
        raise ValueError(
            f"size {size} is below the floor total {floors} ({len(n_pop)} strata × floor "
            f"{floor}, capped by stratum sizes): raise the size to at least {floors}, lower "
            "the floor, or use fewer score bins"
        )
    small = [s.name for s in frame.strata if len(s.members) < floor]
    if small:
        notes.append(f"floor {floor} capped by stratum size (all items drawn): {', '.join(small)}")
    priors = [(s.violating + 2 * prior) / (s.labelled + 2) for s in frame.strata]
    counts = neyman_allocation(n_pop, priors, total, floor=floor)
    rng = np.random.default_rng(seed)
    picked = [
        s.members[rng.choice(len(s.members), n, replace=False)]
        for s, n in zip(frame.strata, counts, strict=True)
    ]
    explored, remaining = _explore(frame, picked, exploration_share, rng)
    plans: list[StratumPlan] = []
    units: list[SampledUnit] = []
    for s, n, rows, p in zip(frame.strata, counts, picked, priors, strict=True):
        pi = n / len(s.members)
        if s.population == "non_actioned" and len(explored):
            pi += (1 - pi) * len(explored) / remaining
        extra = explored[np.isin(explored, s.members)]
        plans.append(_plan(s, allocated=n, explored=len(extra), prior=p, pi=pi))
        units.extend(_unit(frame, int(r), s, pi, STRATIFIED) for r in rows)
        units.extend(_unit(frame, int(r), s, pi, EXPLORATION) for r in extra)
    shuffled = tuple(units[i] for i in rng.permutation(len(units)))  # labellers see no order
    return SamplePlan(sample_id, seed, size, tuple(plans), shuffled, len(explored), tuple(notes))


def _explore(
    frame: SamplingFrame, picked: list[np.ndarray], share: float, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """``ceil(share·R)`` rows drawn uniformly from the ``R`` non-actioned rows not yet drawn."""
    pool = [
        np.setdiff1d(s.members, rows, assume_unique=True)
        for s, rows in zip(frame.strata, picked, strict=True)
        if s.population == "non_actioned"
    ]
    rest = np.concatenate(pool) if pool else np.empty(0, dtype=np.intp)
    m = min(len(rest), math.ceil(share * len(rest) - 1e-9))  # 0.07·100 is 7.000000000000001
    return rest[rng.choice(len(rest), m, replace=False)], len(rest)


def _plan(
    s: FrameStratum, *, allocated: int, explored: int, prior: float, pi: float
) -> StratumPlan:
    return StratumPlan(
        name=s.name,
        population=s.population,
        score_low=s.score_low,
        score_high=s.score_high,
        population_size=len(s.members),
        allocated=allocated,
        explored=explored,
        prior=prior,
        labelled=s.labelled,
        inclusion_probability=pi,
    )


def _unit(frame: SamplingFrame, row: int, s: FrameStratum, pi: float, draw: str) -> SampledUnit:
    score = float(frame.score[row])
    return SampledUnit(
        item_id=str(frame.item_id[row]),
        stratum=s.name,
        population=s.population,
        inclusion_probability=pi,
        score=None if math.isnan(score) else score,
        action=frame.action[row],
        draw=draw,
    )


def _population_strata(
    population: Population,
    rows: np.ndarray,
    score: np.ndarray,
    violating: np.ndarray,
    cuts: np.ndarray | None,
    bins: int,
) -> list[FrameStratum]:
    scored = rows[~np.isnan(score[rows])]
    pop_cuts = cuts if cuts is not None else _quantile_edges(score[scored], bins)
    which = np.searchsorted(pop_cuts, score[scored], side="right")
    strata = []
    for h in range(len(pop_cuts) + 1):
        low = float(pop_cuts[h - 1]) if h > 0 else 0.0
        high = float(pop_cuts[h]) if h < len(pop_cuts) else 1.0
        close = ")" if h < len(pop_cuts) else "]"
        name = f"{population}:s{h:02d}[{low:.3f},{high:.3f}{close}"
        strata.append(_stratum(name, population, low, high, scored[which == h], violating))
    no_score = rows[np.isnan(score[rows])]
    strata.append(_stratum(f"{population}:no_score", population, None, None, no_score, violating))
    return strata


def _stratum(
    name: str,
    population: Population,
    low: float | None,
    high: float | None,
    members: np.ndarray,
    violating: np.ndarray,
) -> FrameStratum:
    labels = violating[members]
    known = [bool(v) for v in labels if v is not None]
    return FrameStratum(name, population, low, high, members, len(known), sum(known))


def _quantile_edges(scores: np.ndarray, bins: int) -> np.ndarray:
    if len(scores) == 0 or bins == 1:
        return np.empty(0)
    cuts: np.ndarray = np.unique(np.quantile(scores, np.arange(1, bins) / bins))
    return cuts[cuts > float(scores.min())]  # a cut at the minimum would only open an empty bin


def _checked_edges(edges: Sequence[float] | None, bins: int) -> np.ndarray | None:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a whole number >= 1, got {bins!r}")
    if edges is None:
        return None
    cuts = np.asarray(list(edges), dtype=float)
    if not np.all(np.isfinite(cuts)) or np.any(np.diff(cuts) <= 0):
        raise ValueError(f"score edges must be finite and strictly increasing, got {list(edges)}")
    return cuts


def _check_parameters(*, size: int, seed: int, floor: int, share: float, prior: float) -> None:
    for name, value, least in (("size", size, 1), ("floor", floor, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")
    if not 0.0 <= share < 1.0:
        raise ValueError(f"exploration share must be in [0, 1), got {share!r}")
    if not 0.0 < prior < 1.0:
        raise ValueError(f"prior violation rate must be strictly between 0 and 1, got {prior!r}")
