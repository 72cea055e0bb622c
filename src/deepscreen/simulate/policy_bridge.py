"""Run the real policy bundle on simulated items, fast: evaluated once per distinct input
(category, declared provenance, score step) and mapped back to every item.
The simulated signals: docs/internals/simulate.md."""

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
    ``rules``; the default action has rule ``None``). Rule codes are stable across the calls of
    one bridge (``rules`` only grows); ``evaluations`` counts the distinct inputs of the call."""

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
        self._levels = int(round(1 / quantum)) + 2  # score steps -1 (no score) .. 1/quantum
        size = len(self.categories) * 2 * self._levels
        self._known = np.zeros(size, dtype=bool)
        self._action = np.zeros(size, dtype=np.int8)
        self._rule = np.zeros(size, dtype=np.int32)
        self._rules: dict[str | None, int] = {}
        self._signal_inputs: dict[tuple[bool, int], dict[str, dict[str, Any]]] = {}

    def decide(
        self, category: np.ndarray, declared: np.ndarray, score: np.ndarray | None = None
    ) -> Decisions:
        """Decisions for items given their category index, declared flag and score (None: the
        score is not available yet, score signals abstain)."""
        category = np.asarray(category, dtype=np.int64)
        declared = np.asarray(declared, dtype=bool)
        if category.shape != declared.shape:
            raise ValueError("category and declared must align")
        if category.size and (category.min() < 0 or category.max() >= len(self.categories)):
            raise ValueError(f"category codes must be in 0..{len(self.categories) - 1}")
        # One code per item (category, declared, score step) into dense lookup tables.
        levels = self._levels
        keys = category * 2
        keys += declared
        keys *= levels
        if score is not None:  # step + 1; 0 (no score: step -1) adds nothing
            steps = np.clip(np.asarray(score, float), 0, 1)
            steps /= self.quantum
            np.rint(steps, out=steps)
            keys += steps.astype(np.int64)
            keys += 1
        present = np.zeros(self._known.size, dtype=bool)
        present[keys] = True
        for key in np.flatnonzero(present & ~self._known).tolist():
            action, rule = self._outcome(
                key // levels // 2, bool((key // levels) % 2), key % levels - 1
            )
            self._action[key] = action
            self._rule[key] = self._rules.setdefault(rule, len(self._rules))
            self._known[key] = True
        return Decisions(
            self._action[keys], self._rule[keys], tuple(self._rules), int(present.sum())
        )

    @property
    def rules(self) -> tuple[str | None, ...]:
        """Rule ids by code (None: the bundle's default action), over all calls so far."""
        return tuple(self._rules)

    def _outcome(self, category: int, declared: bool, step: int) -> tuple[int, str | None]:
        signals = self._signal_inputs.get((declared, step))
        if signals is None:  # the same for every category: built once, only read
            score = None if step < 0 else min(1.0, step * self.quantum)
            signals = signal_inputs(self._signals(declared, score))
            self._signal_inputs[(declared, step)] = signals
        inputs = {
            "signals": signals,
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
        return ACTIONS.index(decision.action.value), decision.rule_id

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
