"""Run the real policy bundle on simulated items, fast: evaluate once per distinct input.

A decision is a pure function of its inputs (``policy.evaluate``), and a simulated item's inputs
take few distinct values: its category, whether it carries declared provenance, and its
detector score rounded to ``quantum``. So the bundle is evaluated once per distinct combination
and the decisions are mapped back to every item with ``numpy.unique`` — the exact production
code path, without evaluating a million items one by one.

The simulated signals, as a detector would report them:
- ``declared_signal`` (default ``c2pa``): scored 1.0 (AI declared) for items with declared
  provenance, else abstains ("no manifest") — every other provenance detector abstains;
- ``score_signals`` (default ``learned`` and ``ensemble``): the calibrated score once the
  asynchronous model has run; before that (``score=None``: the synchronous decision at upload)
  they abstain ("model pending"). The ensemble repeats a declared origin (1.0), as the real one
  lets declared provenance dominate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from deepscreen.core.decisions import Action
from deepscreen.core.signals import SignalResult
from deepscreen.policy.bundle import Bundle
from deepscreen.policy.evaluate import evaluate, signal_inputs

ACTIONS: tuple[str, ...] = tuple(a.value for a in Action)
"""Action codes: ``ACTIONS[code]`` is the action's name."""
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_ITEM_FACTS: Mapping[str, Any] = {
    "kind": "image",
    "mime": "image/jpeg",
    "width": 1024,
    "height": 768,
    "size_bytes": 250_000,
}


@dataclass(frozen=True)
class Decisions:
    """Per item: ``action`` codes (index into ``ACTIONS``) and ``rule`` codes (index into
    ``rules``; the default action has rule ``None``)."""

    action: np.ndarray
    rule: np.ndarray
    rules: tuple[str | None, ...]
    evaluations: int

    def action_names(self) -> np.ndarray:
        return np.asarray(np.asarray(ACTIONS, dtype=object)[self.action])


class PolicyBridge:
    def __init__(
        self,
        bundle: Bundle,
        categories: Sequence[str],
        *,
        signal_names: Sequence[str] | None = None,
        declared_signal: str = "c2pa",
        score_signals: Sequence[str] = ("learned", "ensemble"),
        quantum: float = 0.001,
        attribute: str = "category",
    ) -> None:
        if not 0 < quantum <= 0.1:
            raise ValueError(f"score quantum {quantum} must be in (0, 0.1]")
        self.bundle = bundle
        self.categories = tuple(categories)
        names = signal_names if signal_names is not None else sorted(bundle.signal_names)
        self.signal_names = tuple(names)
        self.declared_signal = declared_signal
        self.score_signals = tuple(s for s in score_signals if s in self.signal_names)
        self.quantum = quantum
        self.attribute = attribute
        self._cache: dict[tuple[int, bool, int], tuple[int, str | None]] = {}

    def decide(
        self, category: np.ndarray, declared: np.ndarray, score: np.ndarray | None = None
    ) -> Decisions:
        """Decisions for items given their category index, declared flag and score (None: the
        score is not available yet, score signals abstain)."""
        category = np.asarray(category, dtype=np.int64)
        declared = np.asarray(declared, dtype=bool)
        if category.shape != declared.shape:
            raise ValueError("category and declared must align")
        if score is None:
            steps = np.full(category.shape, -1, dtype=np.int64)
        else:
            steps = np.rint(np.clip(np.asarray(score, float), 0, 1) / self.quantum).astype(np.int64)
        # One int64 key per item (category, declared, score step): a 1-D unique is fast.
        levels = int(round(1 / self.quantum)) + 2  # steps -1..1/quantum
        keys = (category * 2 + declared.astype(np.int64)) * levels + (steps + 1)
        unique_keys, inverse = np.unique(keys, return_inverse=True)
        unique = np.stack(
            [unique_keys // levels // 2, (unique_keys // levels) % 2, unique_keys % levels - 1],
            axis=1,
        )
        outcomes = [self._outcome(int(c), bool(d), int(s)) for c, d, s in unique]
        rules = tuple(dict.fromkeys(rule for _, rule in outcomes))
        rule_index = {rule: i for i, rule in enumerate(rules)}
        action_codes = np.asarray([code for code, _ in outcomes], dtype=np.int8)
        rule_codes = np.asarray([rule_index[rule] for _, rule in outcomes], dtype=np.int32)
        inverse = inverse.reshape(-1)
        return Decisions(action_codes[inverse], rule_codes[inverse], rules, len(unique))

    def _outcome(self, category: int, declared: bool, step: int) -> tuple[int, str | None]:
        key = (category, declared, step)
        if key not in self._cache:
            score = None if step < 0 else min(1.0, step * self.quantum)
            inputs = {
                "signals": signal_inputs(self._signals(declared, score)),
                "item": {
                    **_ITEM_FACTS,
                    "id": "simulated",
                    self.attribute: self.categories[category],
                },
            }
            decision = evaluate(
                self.bundle,
                inputs,
                item_id="simulated",
                decision_id="simulated",
                decided_at=_EPOCH,
            )
            self._cache[key] = (ACTIONS.index(decision.action.value), decision.rule_id)
        return self._cache[key]

    def _signals(self, declared: bool, score: float | None) -> list[SignalResult]:
        results = []
        for name in self.signal_names:
            if name == self.declared_signal and declared:
                results.append(SignalResult.scored(name, "sim", 1.0, {"simulated": True}))
            elif name in self.score_signals:
                if name == "ensemble" and declared:
                    results.append(SignalResult.scored(name, "sim", 1.0, {"basis": "provenance"}))
                elif score is None:
                    results.append(SignalResult.abstain(name, "sim", "model pending"))
                else:
                    results.append(SignalResult.scored(name, "sim", score, {"simulated": True}))
            else:
                results.append(SignalResult.abstain(name, "sim", "simulated: not observed"))
        return results
