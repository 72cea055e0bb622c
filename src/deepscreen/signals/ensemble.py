"""One combined score, ``signals.ensemble``: declared provenance dominates, else the statistical
detectors are combined (``vote`` or ``stacked``) into a verdict with an inconclusive band."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from deepscreen.core.errors import ConfigError
from deepscreen.core.signals import SignalResult

NAME = "ensemble"
VERSION = "1"
STACK_FORMAT = "deepscreen.stack/1"


@dataclass(frozen=True)
class StackModel:
    """``P(AI) = σ(intercept + Σ coef_score·score + coef_abstain·abstained)`` over ``detectors``;
    an abstaining (or absent) detector contributes ``coef_abstain`` and a score of 0.5."""

    detectors: tuple[str, ...]
    coef_score: tuple[float, ...]
    coef_abstain: tuple[float, ...]
    intercept: float
    training: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.detectors)
        if not n or len(self.coef_score) != n or len(self.coef_abstain) != n:
            raise ValueError("a stack needs one score and one abstain weight per detector")
        values = (*self.coef_score, *self.coef_abstain, self.intercept)
        if not all(math.isfinite(v) for v in values):
            raise ValueError("stack weights must be finite")

    def features(self, scores: Mapping[str, float | None]) -> list[float]:
        return stack_features(self.detectors, scores)

    def probability(self, scores: Mapping[str, float | None]) -> float:
        pairs = zip(self.coef_score, self.coef_abstain, strict=True)
        weights = [w for pair in pairs for w in pair]
        z = self.intercept + sum(w * x for w, x in zip(weights, self.features(scores), strict=True))
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": STACK_FORMAT,
            "detectors": list(self.detectors),
            "coef_score": list(self.coef_score),
            "coef_abstain": list(self.coef_abstain),
            "intercept": self.intercept,
            "training": dict(self.training),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StackModel:
        if data.get("format") != STACK_FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {STACK_FORMAT!r}")
        return cls(
            detectors=tuple(map(str, data["detectors"])),
            coef_score=tuple(map(float, data["coef_score"])),
            coef_abstain=tuple(map(float, data["coef_abstain"])),
            intercept=float(data["intercept"]),
            training=dict(data.get("training", {})),
        )


def stack_features(detectors: Sequence[str], scores: Mapping[str, float | None]) -> list[float]:
    """Two inputs per detector: its score (0.5 when it abstained or is absent) and a 0/1
    abstention flag."""
    row: list[float] = []
    for name in detectors:
        score = scores.get(name)
        row += [0.5 if score is None else score, 1.0 if score is None else 0.0]
    return row


def load_stack(path: Path) -> StackModel:
    try:
        return StackModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ConfigError(f"stack file {str(path)!r} does not exist") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read stack file {str(path)!r}: {exc}") from exc
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a valid deepscreen stack: {exc!r}") from exc


@dataclass(frozen=True)
class Ensemble:
    method: Literal["vote", "stacked"] = "vote"
    trust: Mapping[str, float] = field(default_factory=dict)
    band: tuple[float, float] = (0.35, 0.65)
    provenance: frozenset[str] = frozenset({"c2pa", "metadata", "watermark", "hashmatch"})
    stack: StackModel | None = None

    def __post_init__(self) -> None:
        low, high = self.band
        if not 0.0 <= low <= high <= 1.0:
            raise ConfigError(f"inconclusive band {self.band} needs 0 <= low <= high <= 1")
        if any(not (math.isfinite(w) and w >= 0) for w in self.trust.values()):
            raise ConfigError("ensemble trust weights must be finite and >= 0")
        if self.method == "stacked" and self.stack is None:
            raise ConfigError(
                "the stacked ensemble needs [ensemble] stack (deepscreen train --stack)"
            )
        if self.method not in ("vote", "stacked"):
            raise ConfigError(f"unknown ensemble method {self.method!r}")

    def verdict(self, score: float) -> str:
        low, high = self.band
        if score > high:
            return "likely_ai"
        if score < low:
            return "likely_real"
        return "inconclusive"

    def combine(self, results: Sequence[SignalResult]) -> SignalResult:
        """The ensemble result for one item's detector results (pure)."""
        declared = _declared(results, self.provenance)
        if declared is not None:
            return declared
        statistical = {
            r.detector: r.score
            for r in results
            if r.detector not in self.provenance and r.detector != NAME
        }
        scored = {name: s for name, s in statistical.items() if s is not None}
        if self.method == "stacked":
            assert self.stack is not None
            if not any(scored.get(name) is not None for name in self.stack.detectors):
                return _abstain("no detector of the stack scored this item")
            score = self.stack.probability(statistical)
            detail: dict[str, Any] = {
                name: {"score": statistical.get(name)} for name in self.stack.detectors
            }
        else:
            weights = {name: self.trust.get(name, 1.0) for name in scored}
            total = sum(weights.values())
            if total <= 0:
                return _abstain("no statistical detector scored this item, nothing declared")
            score = sum(scored[n] * w for n, w in weights.items()) / total
            detail = {n: {"score": scored[n], "weight": w} for n, w in weights.items()}
        verdict = self.verdict(score)
        names = ", ".join(sorted(detail)) or "none"
        evidence = {
            "basis": self.method,
            "verdict": verdict,
            "band": list(self.band),
            "detectors": detail,
            "note": "statistical estimate, not proof",
            "summary": (
                f"ensemble ({self.method} of {names}): {score:.2f}, "
                f"{verdict.replace('_', ' ')} (band {self.band[0]:.2f}–{self.band[1]:.2f})"
            ),
        }
        return SignalResult.scored(NAME, VERSION, min(1.0, max(0.0, score)), evidence)


def _declared(results: Sequence[SignalResult], provenance: frozenset[str]) -> SignalResult | None:
    declaring = [r for r in results if r.detector in provenance and r.score in (0.0, 1.0)]
    if not declaring:
        return None
    ai = [r for r in declaring if r.score == 1.0]
    winners = ai or declaring
    score = 1.0 if ai else 0.0
    names = ", ".join(r.detector for r in winners)
    what = "AI origin or a known item" if ai else "capture or an allow-listed original"
    evidence = {
        "basis": "provenance",
        "verdict": "declared_ai" if ai else "declared_capture",
        "detectors": {r.detector: {"score": r.score} for r in declaring},
        "summary": f"declared provenance ({names}): {what}; overrides statistical scores",
    }
    return SignalResult.scored(NAME, VERSION, score, evidence)


def _abstain(reason: str) -> SignalResult:
    return SignalResult.abstain(NAME, VERSION, reason)
