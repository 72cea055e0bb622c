"""Design-based estimates from labelled sample units: stratified and Hájek proportions, and the
precision and recall of an automated action, from per-stratum counts (``StratumCounts``).
Notes: docs/internals/stats.md; for users: docs/metrics.md, 'Labelling samples'."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from deepscreen.stats.resampling import (
    Seed,
    check_confidence,
    check_replicates,
    finite_quantiles,
    generator,
    two_sided,
)


@dataclass(frozen=True, slots=True)
class StratumCounts:
    """``population_size`` items (N_h), ``labelled`` of them sampled and labelled (n_h),
    ``violating`` of those judged violating (k_h)."""

    name: str
    population_size: int
    labelled: int
    violating: int

    def __post_init__(self) -> None:
        if not 0 <= self.violating <= self.labelled <= self.population_size:
            raise ValueError(
                f"stratum {self.name!r}: need 0 <= violating <= labelled <= population size, "
                f"got {self.violating}, {self.labelled}, {self.population_size}"
            )


@dataclass(frozen=True, slots=True)
class StratumEstimate:
    name: str
    population_size: int
    labelled: int
    violating: int
    weight: float
    proportion: float
    variance_term: float


@dataclass(frozen=True, slots=True)
class StratifiedEstimate:
    """``value`` = Σ W_h p̂_h with its normal interval clipped to [0, 1]; ``ess`` is Kish's
    effective sample size of the design weights N_h/n_h."""

    value: float
    low: float
    high: float
    se: float
    n: int
    ess: float
    method: str
    confidence: float
    strata: tuple[StratumEstimate, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class HajekEstimate:
    """``Σ w y / Σ w`` with a linearisation (with-replacement) standard error; ``se`` is None
    and the interval [0, 1] for a single unit."""

    value: float
    low: float
    high: float
    se: float | None
    n: int
    ess: float
    method: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RecallEstimate:
    """Recall ``TP̂/(TP̂ + FN̂)`` with a stratified-bootstrap percentile interval."""

    value: float
    low: float
    high: float
    se: float
    n: int
    method: str
    confidence: float
    true_positives: float
    false_negatives: float
    replicates: int
    precision: StratifiedEstimate
    missed_rate: StratifiedEstimate
    """Prevalence of violations in the non-actioned population (false negatives / N_non)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stratum_counts(
    strata: Sequence[str], violating: Sequence[bool], population: Mapping[str, int]
) -> tuple[StratumCounts, ...]:
    """Count labelled units per stratum; ``population`` gives N_h for every stratum (strata
    with no labelled unit are kept with ``labelled=0``: the estimators refuse them)."""
    if len(strata) != len(violating):
        raise ValueError(f"{len(strata)} strata but {len(violating)} labels")
    unknown = sorted(set(strata) - set(population))
    if unknown:
        raise ValueError(f"labelled units in strata of unknown size: {', '.join(unknown)}")
    labelled = Counter(strata)
    hits = Counter(s for s, y in zip(strata, violating, strict=True) if y)
    return tuple(
        StratumCounts(name, int(size), labelled[name], hits[name])
        for name, size in population.items()
    )


def stratified_proportion(
    counts: Sequence[StratumCounts], *, confidence: float = 0.95, method: str = "stratified"
) -> StratifiedEstimate:
    """``p̂_st = Σ W_h p̂_h``, ``Var = Σ W_h² (1 − n_h/N_h) p̂_h(1 − p̂_h)/(n_h − 1)``.

    A stratum labelled in full contributes no variance; one with a single labelled unit (of
    more) contributes the bound ``W_h² (1 − 1/N_h)/4``, as its variance cannot be estimated.
    """
    check_confidence(confidence)
    if not counts:
        raise ValueError("no strata: nothing to estimate")
    empty = [c.name for c in counts if c.labelled == 0 and c.population_size > 0]
    if empty:
        raise ValueError(
            f"strata without labelled units: {', '.join(empty)}; label at least one unit "
            "(two for a variance) in each, or the estimate leaves their items out"
        )
    total = sum(c.population_size for c in counts)
    rows = tuple(_stratum_estimate(c, total) for c in counts if c.population_size > 0)
    value = sum(r.weight * r.proportion for r in rows)
    se = math.sqrt(sum(r.variance_term for r in rows))
    ess = total**2 / sum(r.population_size**2 / r.labelled for r in rows)
    low, high = _normal_interval(value, se, confidence)
    n = sum(r.labelled for r in rows)
    return StratifiedEstimate(value, low, high, se, n, ess, method, confidence, rows)


def precision_of_action(
    actioned: Sequence[StratumCounts], *, confidence: float = 0.95
) -> StratifiedEstimate:
    """Share of actioned items that truly violate, from the actioned-population sample."""
    if not actioned:
        raise ValueError("no actioned strata: nothing was actioned, so precision is undefined")
    return stratified_proportion(actioned, confidence=confidence, method="stratified precision")


def recall_of_action(
    actioned: Sequence[StratumCounts],
    non_actioned: Sequence[StratumCounts] | None,
    *,
    confidence: float = 0.95,
    replicates: int = 2000,
    seed: Seed = 0,
) -> RecallEstimate:
    """Share of violating items the action reached: ``TP̂ = N_act·precision``,
    ``FN̂ = Σ_h N_h^non p̂_h^non``, recall ``= TP̂/(TP̂ + FN̂)``.

    The interval is the percentile interval of a rescaled stratified bootstrap (Rao & Wu 1988:
    resample ``n_h`` units within each stratum of both samples, scaled so each replicate's
    variance matches the finite-population-corrected one above).
    """
    if not non_actioned or not any(c.labelled for c in non_actioned):
        raise ValueError(
            "recall needs labelled units from the NON-actioned population: the missed "
            "violations (false negatives) are only found there. Draw a sample with its "
            "non_actioned strata (deepscreen sample) and label it."
        )
    check_replicates(replicates, minimum=100, name="replicates")
    precision = precision_of_action(actioned, confidence=confidence)
    missed = stratified_proportion(non_actioned, confidence=confidence, method="stratified")
    n_act = sum(c.population_size for c in actioned)
    n_non = sum(c.population_size for c in non_actioned)
    tp, fn = n_act * precision.value, n_non * missed.value
    if tp + fn == 0:
        raise ValueError("no labelled unit is violating: recall is undefined (0/0)")
    rng = generator(seed)
    boot_tp = _bootstrap_totals(precision.strata, replicates, rng)
    boot_fn = _bootstrap_totals(missed.strata, replicates, rng)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = boot_tp / (boot_tp + boot_fn)
    bounds = finite_quantiles(boot, two_sided(1 - confidence))
    if bounds is None:
        raise ValueError("no bootstrap replicate of recall is defined (0/0 in every one)")
    low, high = bounds
    boot = boot[np.isfinite(boot)]
    return RecallEstimate(
        value=tp / (tp + fn),
        low=low,
        high=high,
        se=float(np.std(boot, ddof=1)),
        n=precision.n + missed.n,
        method="stratified ratio, rescaled stratified bootstrap (percentile)",
        confidence=confidence,
        true_positives=tp,
        false_negatives=fn,
        replicates=replicates,
        precision=precision,
        missed_rate=missed,
    )


def hajek_proportion(
    y: Sequence[bool] | np.ndarray,
    weights: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
) -> HajekEstimate:
    """``p̂ = Σ w_i y_i / Σ w_i`` for an unequal-probability sample, ``w_i = v_i/π_i`` (views
    over inclusion probability, or ``1/π_i`` per item). Linearisation variance
    ``n/(n − 1)·Σ (w_i (y_i − p̂))² / (Σ w)²``; ``ESS = (Σ w)²/Σ w²``."""
    check_confidence(confidence)
    ys = np.asarray(y, dtype=float)
    ws = np.asarray(weights, dtype=float)
    if ys.shape != ws.shape or ys.ndim != 1 or len(ys) == 0:
        raise ValueError(f"need as many weights as labels (>= 1), got {ws.shape} and {ys.shape}")
    if not np.all(np.isfinite(ws)) or np.any(ws <= 0):
        raise ValueError("weights must be finite and > 0 (w = views / inclusion probability)")
    total = float(ws.sum())
    value = float(ws @ ys) / total
    ess = total**2 / float(ws @ ws)
    n = len(ys)
    if n == 1:
        return HajekEstimate(value, 0.0, 1.0, None, n, ess, "hajek", confidence)
    se = math.sqrt(n / (n - 1) * float(np.sum((ws * (ys - value)) ** 2)) / total**2)
    low, high = _normal_interval(value, se, confidence)
    return HajekEstimate(value, low, high, se, n, ess, "hajek (linearisation)", confidence)


def _stratum_estimate(c: StratumCounts, total: int) -> StratumEstimate:
    weight = c.population_size / total
    p = c.violating / c.labelled
    fpc = 1 - c.labelled / c.population_size
    if c.labelled >= 2:
        term = weight**2 * fpc * p * (1 - p) / (c.labelled - 1)
    else:
        term = weight**2 * fpc / 4  # one unit: the largest variance a proportion can have
    return StratumEstimate(c.name, c.population_size, c.labelled, c.violating, weight, p, term)


def _bootstrap_totals(
    strata: Sequence[StratumEstimate], replicates: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Replicates of ``Σ_h N_h p*_h``: resampling ``n_h`` binary labels with replacement is a
    binomial draw; rescaling by ``sqrt(n_h (1 − f_h)/(n_h − 1))`` gives each replicate the
    finite-population-corrected variance (a single unit gets the 1/4 bound, like above).
    Not the item bootstrap of ``stats.bootstrap``: a parametric, rescaled (Rao–Wu) one."""
    total = np.zeros(replicates)
    for s in strata:
        n, p = s.labelled, s.proportion
        fpc = 1 - n / s.population_size
        if n >= 2:
            deviation = rng.binomial(n, p, replicates) / n - p
            scale = math.sqrt(n * fpc / (n - 1))
        else:
            deviation = rng.choice([-0.5, 0.5], replicates)
            scale = math.sqrt(fpc)
        total += s.population_size * np.clip(p + scale * deviation, 0.0, 1.0)
    return total


def _normal_interval(value: float, se: float, confidence: float) -> tuple[float, float]:
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    return max(0.0, value - z * se), min(1.0, value + z * se)
